import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { StaffOnly } from "@/components/staff/staff-only";
import { staffAccess } from "@/lib/auth/staff";

export const metadata: Metadata = { title: "Staff only" };

/** Where requireStaff() sends a signed-in non-staff user (the layout shows the same 403 for every /staff path). */
export default async function StaffForbiddenPage() {
  const access = await staffAccess();
  if (access.kind === "signed_out") redirect("/signin?callbackUrl=%2Fstaff");
  if (access.kind === "staff") redirect("/staff");
  return <StaffOnly email={access.user.email} />;
}
