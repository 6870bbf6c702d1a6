import type { NextConfig } from "next";
import { securityHeaders } from "./lib/server/security-headers";

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  serverExternalPackages: ["postgres", "rate-limiter-flexible", "nodemailer"],
  async headers() {
    return [{ source: "/:path*", headers: securityHeaders }];
  },
};

export default config;
