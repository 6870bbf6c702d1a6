/**
 * Air-gapped activation against a hostile client, over HTTP on the production build: the
 * License & Billing forms posted without JavaScript, replayed by people without the role, with
 * forged, foreign and oversized files; the license-file download asked for by everyone.
 * Invariant: a slot is taken only by a valid request file uploaded by an owner or admin of its
 * license, freed early only by that installation's own code, and nothing else changes anything.
 * The core is used only to set up licenses and to read the database.
 */
import { getDb } from "@ticketzero/core/db/client";
import { activations } from "@ticketzero/core/db/schema";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { acceptInvitation, ensureUser, inviteMember, teamForEmail } from "@ticketzero/core/license/teams";
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testInstallation } from "../support/air-gapped-installation";
import type { AppServer } from "../support/app-server";
import { email } from "./support/api";
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

/** An owner signed in with a paid license (two slots) on their team, and a read-only member signed in. */
async function team() {
  const ownerEmail = email("air-owner");
  const owner = new Client(server);
  await signIn(owner, ownerEmail);
  const { teamId, userId } = await getDb().transaction((tx) => teamForEmail(tx, ownerEmail));
  const { license, key } = await issueLicense(
    { plan: "professional", email: ownerEmail, teamId, limits: { maxActivations: 2 } },
    setup,
  );
  const viewerEmail = email("air-viewer");
  await inviteMember(userId, teamId, viewerEmail, "viewer", setup);
  const viewer = new Client(server);
  await signIn(viewer, viewerEmail);
  await acceptInvitation((await ensureUser(getDb(), viewerEmail)).id, teamId, setup);
  const stranger = new Client(server);
  await signIn(stranger, email("air-stranger"));
  return { owner, viewer, stranger, license, key, page: `/admin/license?license=${license.id}` };
}

async function formWithField(client: Client, page: string, field: string): Promise<Form> {
  const shown = await client.send(page, { headers: browserHeaders(client, false) });
  expect(shown.status).toBe(200);
  const form = formsIn(shown.text).find((f) => f.fields.some(([name]) => name === field));
  if (!form) throw new Error(`no form with a ${field} field on ${page}`);
  return form;
}

const requestFile = (text: string, name = "tz-activation-request.json") =>
  new File([text], name, { type: "application/json" });

async function activeRows(licenseId: string) {
  return getDb()
    .select()
    .from(activations)
    .where(and(eq(activations.licenseId, licenseId), isNull(activations.deactivatedAt)));
}

/** The license-file link the success alert offers. */
function downloadHref(html: string): string | null {
  return /href="(\/admin\/license\/license-file\?[^"]+)"/.exec(html)?.[1]?.replaceAll("&amp;", "&") ?? null;
}

describe("air-gapped: License & Billing without JavaScript", () => {
  it("an owner's upload answers a license file that only the team's admins and staff may download", async () => {
    const t = await team();
    const installation = testInstallation();
    const upload = await formWithField(t.owner, t.page, "request");
    const { reply, outcome } = await postForm(t.owner, t.page, upload, {
      request: requestFile(installation.request(t.key)),
    });
    expect(reply.status).toBe(200);
    expect(outcome.text).toContain("License file ready");
    const rows = await activeRows(t.license.id);
    expect(rows.map((r) => [r.instanceId, r.kind])).toEqual([[installation.instanceId, "air_gapped"]]);

    const href = downloadHref(reply.text);
    expect(href).not.toBeNull();
    const download = await t.owner.send(href!, { headers: browserHeaders(t.owner, false) });
    expect(download.status).toBe(200);
    expect(download.headers["content-disposition"]).toMatch(/^attachment; filename="ticketzero-license-/);
    expect(JSON.parse(download.text)).toMatchObject({ type: "ticketzero-license-file", v: 1 });

    for (const [client, status] of [
      [t.viewer, 403],
      // Someone outside the team is not told that the license exists.
      [t.stranger, 404],
      // Signed out, the link leads to sign-in (the Admin Panel's proxy), never to the file.
      [new Client(server), 307],
    ] as const) {
      const refused = await client.send(href!, { headers: browserHeaders(client, false) });
      expect(refused.status).toBe(status);
      if (status === 307) expect(refused.headers.location).toContain("/signin");
      expect(refused.text).not.toContain("ticketzero-license-file");
    }
    const probe = await t.owner.send("/admin/license/license-file?license=x&instance=';drop", {
      headers: browserHeaders(t.owner, false),
    });
    expect(probe.status).toBe(400);
  });

  it("the owner's forms replayed by a read-only member, a stranger and a signed-out client change nothing", async () => {
    const t = await team();
    const upload = await formWithField(t.owner, t.page, "request");
    const viewerPage = await t.viewer.send(t.page, { headers: browserHeaders(t.viewer, false) });
    expect(formsIn(viewerPage.text).some((f) => f.fields.some(([n]) => n === "request"))).toBe(false);
    for (const client of [t.viewer, t.stranger, new Client(server)]) {
      const { reply } = await postForm(client, t.page, upload, {
        request: requestFile(testInstallation().request(t.key)),
      });
      expect(reply.status).toBeLessThan(500);
      expect(await activeRows(t.license.id)).toHaveLength(0);
    }

    // Licensed by the owner, then the code replayed by the others frees nothing.
    const installation = testInstallation();
    await postForm(t.owner, t.page, upload, { request: requestFile(installation.request(t.key)) });
    const [row] = await activeRows(t.license.id);
    const code = installation.deactivationCode(t.license.id, row!.licenseFileId!);
    const codeForm = await formWithField(t.owner, t.page, "code");
    for (const client of [t.viewer, t.stranger, new Client(server)]) {
      await postForm(client, t.page, codeForm, { code });
      expect(await activeRows(t.license.id)).toHaveLength(1);
    }
    const { outcome } = await postForm(t.owner, t.page, codeForm, { code });
    expect(outcome.text).toContain("its slot is free");
    expect(await activeRows(t.license.id)).toHaveLength(0);
  });

  it("forged, foreign, oversized and empty uploads are refused with their code and take no slot", async () => {
    const t = await team();
    const other = await issueLicense({ plan: "professional", email: email("air-other") }, setup);
    const installation = testInstallation();
    const upload = await formWithField(t.owner, t.page, "request");
    const good = JSON.parse(installation.request(t.key)) as Record<string, string>;
    const cases: Array<[File | string, string]> = [
      [requestFile(installation.request(other.key)), "REQUEST_FOR_OTHER_LICENSE"],
      [requestFile(installation.request(t.key, { proofKey: other.key })), "REQUEST_FOR_OTHER_LICENSE"],
      [requestFile(JSON.stringify({ ...good, signature: good.proof })), "INVALID_REQUEST_FILE"],
      [requestFile(`${JSON.stringify(good)}\u0000<script>`), "INVALID_REQUEST_FILE"],
      [requestFile("x".repeat(40_000), "big.json"), "INVALID_REQUEST_FILE"],
      [requestFile("' OR 1=1; --"), "INVALID_REQUEST_FILE"],
      ["", "VALIDATION_FAILED"],
    ];
    for (const [file, code] of cases) {
      const { reply, outcome } = await postForm(t.owner, t.page, upload, { request: file });
      expect(reply.status, `${code}: ${reply.text.slice(0, 300)}`).toBe(200);
      expect(outcome.code, `${code}: ${outcome.alerts.join(" | ")}`).toBe(code);
    }
    // Over the server action limit: the launcher's 413 with a stable code, not Next.js's bare 500.
    const huge = await postForm(t.owner, t.page, upload, { request: requestFile("x".repeat(200_000), "huge.json") });
    expect(huge.reply.status).toBe(413);
    expect(JSON.parse(huge.reply.text)).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
    expect(await getDb().select().from(activations).where(eq(activations.licenseId, t.license.id))).toHaveLength(0);

    // The limit holds through the forms: two slots, three installations.
    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(
        (await postForm(t.owner, t.page, upload, { request: requestFile(testInstallation().request(t.key)) })).outcome,
      );
    }
    expect(results.map((r) => r.code)).toEqual([null, null, "ACTIVATION_LIMIT_REACHED"]);
    expect(await activeRows(t.license.id)).toHaveLength(2);
  });
});

describe("the OpenAPI document", () => {
  it("describes every answer above (GET /api/openapi.json)", async () => {
    await expectAnswersDocumented(server);
  });
});
