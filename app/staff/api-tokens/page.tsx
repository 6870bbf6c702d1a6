import { formatDateTime } from "@ticketzero/core/license/format";
import { listStaffTokens } from "@ticketzero/core/license/staff-tokens";
import type { Metadata } from "next";
import Link from "next/link";
import { ApiTokenForm } from "@/components/staff/api-token-form";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { ConfirmDisclosure } from "@/components/ui/confirm-disclosure";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { requireStaff } from "@/lib/auth/staff";
import { createTokenAction, revokeTokenAction } from "../_lib/actions";

export const metadata: Metadata = { title: "API tokens" };

export default async function StaffApiTokensPage() {
  await requireStaff("/staff/api-tokens");
  const tokens = await listStaffTokens();
  const active = tokens.filter((t) => !t.revokedAt);
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-bold sm:text-3xl">API tokens</h1>
        <p className="mt-1 max-w-3xl text-slate-600">
          Tokens let the vendor&apos;s other systems (CRM, billing, support tools) use the{" "}
          <Link href="/docs/api#tag-staff-api" className="font-medium text-brand-700 underline underline-offset-2">
            staff API
          </Link>
          : the same actions as this back office, audited under the token&apos;s name and its creator. Revoking a token
          takes effect at once.
        </p>
      </div>
      <div className="grid gap-6 lg:grid-cols-5">
        <Card as="section" aria-labelledby="new-token-heading" padding="lg" className="lg:col-span-2">
          <CardHeader id="new-token-heading" title="Create a token" />
          <ApiTokenForm action={createTokenAction} />
        </Card>
        <Card as="section" aria-labelledby="tokens-heading" padding="lg" className="lg:col-span-3">
          <CardHeader
            id="tokens-heading"
            title="Tokens"
            description={`${active.length} active${tokens.length > active.length ? `, ${tokens.length - active.length} revoked` : ""}`}
          />
          {tokens.length === 0 ? (
            <EmptyState title="No API tokens yet" description="Create one for each system that calls the staff API." />
          ) : (
            <div className="-mx-2 overflow-x-auto px-2">
              <DataTable
                caption="Staff API tokens"
                columns={[
                  { label: "Name" },
                  { label: "Access" },
                  { label: "Last used" },
                  { label: "Actions", srOnly: true, align: "right" },
                ]}
              >
                {tokens.map((token) => (
                  <tr key={token.id} className={token.revokedAt ? "text-slate-500" : undefined}>
                    <td className="py-3 pr-4 align-top">
                      <p className="font-medium text-slate-900">{token.name}</p>
                      <p className="mt-0.5 font-mono text-xs text-slate-500">{token.prefix}…</p>
                      <p className="mt-0.5 text-xs text-slate-500">
                        Created {formatDateTime(token.createdAt)}
                        {token.createdByEmail ? ` by ${token.createdByEmail}` : ""}
                      </p>
                    </td>
                    <td className="py-3 pr-4 align-top">
                      {token.revokedAt ? (
                        <Badge tone="neutral">Revoked {formatDateTime(token.revokedAt)}</Badge>
                      ) : (
                        <Badge tone={token.scope === "write" ? "warning" : "info"}>
                          {token.scope === "write" ? "Read and write" : "Read"}
                        </Badge>
                      )}
                    </td>
                    <td className="py-3 pr-4 align-top text-slate-700">
                      {token.lastUsedAt ? (
                        <>
                          {formatDateTime(token.lastUsedAt)}
                          {token.lastUsedIp ? (
                            <span className="block font-mono text-xs text-slate-500">{token.lastUsedIp}</span>
                          ) : null}
                        </>
                      ) : (
                        "Never"
                      )}
                    </td>
                    <td className="py-3 text-right align-top">
                      {token.revokedAt ? null : (
                        <ConfirmDisclosure
                          label="Revoke…"
                          tone="danger"
                          title={`Revoke “${token.name}”?`}
                          body="Every request with this token is refused from now on. This cannot be undone."
                          action={revokeTokenAction}
                          fields={{ tokenId: token.id }}
                          submit="Revoke token"
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </DataTable>
            </div>
          )}
        </Card>
      </div>
    </div>
  );
}
