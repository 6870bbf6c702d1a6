/**
 * The customer's account against a hostile client, over HTTP on the production
 * build: forms rendered for an owner are replayed by people who may not use
 * them (a read-only member, a removed member, a stranger, a signed-out
 * client), and a session cookie is reused after sign-out. Invariant: nothing
 * changes unless the session's user has the role, checked on the server.
 * The core is used only to set up licenses and to read the database.
 */
import { getDb } from "@ticketzero/core/db/client";
import { activations, teamMembers } from "@ticketzero/core/db/schema";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { acceptInvitation, ensureUser, inviteMember, teamForEmail } from "@ticketzero/core/license/teams";
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppServer } from "../support/app-server";
import { api, email, expectError } from "./support/api";
import { Client } from "./support/client";
import { browserHeaders, type Form, formsIn, postForm } from "./support/forms";
import { expectAnswersDocumented } from "./support/openapi";
import { developmentEnv, startProductionBuild } from "./support/server";
import { signIn } from "./support/session";

let server: AppServer;
const setup = { actor: "blackbox-setup" };

beforeAll(async () => {
  server = await startProductionBuild(developmentEnv());
});

afterAll(async () => {
  await server?.stop();
});

/** An owner signed in, with a paid license on their team, one installation, and a read-only member signed in. */
async function team() {
  const ownerEmail = email("owner");
  const owner = new Client(server);
  await signIn(owner, ownerEmail);
  const { teamId, userId } = await getDb().transaction((tx) => teamForEmail(tx, ownerEmail));
  const { license, key } = await issueLicense({ plan: "professional", email: ownerEmail, teamId }, setup);
  const activated = await api(new Client(server), "fast", "/admin/activate-license", {
    licenseKey: key,
    instanceId: "rack-1",
  });
  expect(activated.status, activated.text).toBe(201);
  const viewerEmail = email("viewer");
  await inviteMember(userId, teamId, viewerEmail, "viewer", setup);
  const viewer = new Client(server);
  await signIn(viewer, viewerEmail);
  const viewerId = (await ensureUser(getDb(), viewerEmail)).id;
  await acceptInvitation(viewerId, teamId, setup);
  return { owner, ownerId: userId, teamId, license, key, viewer, viewerId };
}

/** The forms on `page`, as `client` sees it, that have a field `name` (with `value`, if given), in page order. */
async function formsOn(client: Client, page: string, name: string, value?: string): Promise<Form[]> {
  const shown = await client.send(page, { headers: browserHeaders(client, false) });
  expect(shown.status).toBe(200);
  const forms = formsIn(shown.text).filter((f) =>
    f.fields.some(([n, v]) => n === name && (value === undefined || v === value)),
  );
  if (!forms.length) throw new Error(`no form with ${name}${value ? `=${value}` : ""} on ${page}`);
  return forms;
}

const formOn = async (client: Client, page: string, name: string, value?: string) =>
  (await formsOn(client, page, name, value))[0]!;

async function activeInstallations(licenseId: string) {
  return getDb()
    .select()
    .from(activations)
    .where(and(eq(activations.licenseId, licenseId), isNull(activations.deactivatedAt)));
}

describe("forms replayed by people without the role change nothing", () => {
  it("a read-only member, a stranger and a signed-out client replaying the owner's Deactivate form", async () => {
    const t = await team();
    const deactivate = await formOn(t.owner, `/admin/license?license=${t.license.id}`, "instanceId", "rack-1");
    // The read-only member's own page has no such form at all.
    const viewerPage = await t.viewer.send(`/admin/license?license=${t.license.id}`, {
      headers: browserHeaders(t.viewer, false),
    });
    expect(formsIn(viewerPage.text).some((f) => f.fields.some(([n]) => n === "instanceId"))).toBe(false);

    const stranger = new Client(server);
    await signIn(stranger, email("stranger"));
    for (const client of [t.viewer, stranger, new Client(server)]) {
      const { reply } = await postForm(client, "/admin/license", deactivate);
      expect(reply.status).toBeLessThan(500);
      expect(await activeInstallations(t.license.id)).toHaveLength(1);
    }
    // The owner's own submission of the same form works: the replay was well formed.
    await postForm(t.owner, "/admin/license", deactivate);
    expect(await activeInstallations(t.license.id)).toHaveLength(0);
  });

  it("a read-only member replaying the owner's invite, role and remove forms; a removed member's session loses access at once", async () => {
    const t = await team();
    const page = "/admin/team";
    const invite = await formOn(t.owner, page, "email");
    // The viewer's row on the owner's page: its role form, then its Remove confirmation.
    const [role, remove] = await formsOn(t.owner, page, "userId", t.viewerId);
    expect(remove).toBeDefined();

    await postForm(t.viewer, page, invite, { email: email("smuggled"), role: "owner" });
    await postForm(t.viewer, page, role!, { role: "owner" });
    await postForm(t.viewer, page, remove!, { userId: t.ownerId });
    const members = await getDb().select().from(teamMembers).where(eq(teamMembers.teamId, t.teamId));
    expect(members.map((m) => [m.userId, m.role]).sort()).toEqual(
      [
        [t.ownerId, "owner"],
        [t.viewerId, "viewer"],
      ].sort(),
    );

    // Removed by the owner: the member's very next request sees no license, on the page and the API.
    await postForm(t.owner, page, remove!);
    expect(await getDb().select().from(teamMembers).where(eq(teamMembers.userId, t.viewerId))).toHaveLength(0);
    const status = await api(t.viewer, "next", "/api/license-status");
    expect(status.body.license ?? null).toBeNull();
    const panel = await t.viewer.send("/admin/license", { headers: browserHeaders(t.viewer, false) });
    expect(panel.text).not.toContain(t.license.keyMasked);
  });
});

describe("sessions end on the server", () => {
  it("after sign-out the copied session cookie is refused by the pages and the API", async () => {
    const address = email("signout");
    const client = new Client(server);
    await signIn(client, address);
    const { teamId } = await getDb().transaction((tx) => teamForEmail(tx, address));
    const { license } = await issueLicense({ plan: "starter", email: address, teamId }, setup);
    const before = await api(client, "next", "/api/license-status");
    expect(before.body.license?.key).toBe(license.keyMasked);

    const copy = new Client(server);
    for (const [name, value] of client.cookies) copy.cookies.set(name, value);

    // Sign out as next-auth's own sign-out endpoint takes it (the header's button ends in the same call).
    const csrf = await client.send("/api/auth/csrf", { headers: browserHeaders(client, false) });
    const out = {
      reply: await client.send("/api/auth/signout", {
        method: "POST",
        body: new URLSearchParams({ csrfToken: csrf.body.csrfToken, callbackUrl: "/" }).toString(),
        headers: { ...browserHeaders(client, true), "Content-Type": "application/x-www-form-urlencoded" },
      }),
    };
    expect(out.reply.status).toBeLessThan(400);

    const after = await api(copy, "next", "/api/license-status");
    expectError(after, 401, "UNAUTHENTICATED");
    const page = await copy.send("/admin/license", { headers: browserHeaders(copy, false) });
    expect(page.text).not.toContain(license.keyMasked);
  });
});

describe("the OpenAPI document", () => {
  it("describes every answer above (GET /api/openapi.json)", async () => {
    await expectAnswersDocumented(server);
  });
});
