import type { Metadata } from "next";
import { StaffOnly } from "@/components/staff/staff-only";
import { sessionUser } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Staff only" };

/** What forbidden() renders (HTTP 403): only the back office calls it, for a signed-in non-staff user. */
export default async function Forbidden() {
  const user = await sessionUser();
  return (
    <div className="container-page py-10 sm:py-16">
      <StaffOnly email={user?.email ?? null} />
    </div>
  );
}
