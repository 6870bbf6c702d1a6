/**
 * Domain refusals hold across the three ways into one production server — the
 * page's form (its server action, posted without JavaScript), the Next.js
 * route handler (a request with a cookie) and the launcher's fast path (an
 * installation) — in every order of the three: whichever way comes first gets
 * what the limit allows, every way after it gets the refusal (409 and the
 * JSON error shape on the API, the refusal message and its code on the form),
 * and the refusals change nothing a later status shows.
 *
 * Talks to the server only over HTTP; the core is used only to issue licenses
 * with small limits.
 */

import { issueLicense } from "@ticketzero/core/license/licenses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppServer } from "../support/app-server";
import { api, email, expectAnsweredBy, expectError, instance, TRIAL_KEY } from "./support/api";
import { Client, type Reply } from "./support/client";
import { type Submission, submitForm } from "./support/forms";
import { expectAnswersDocumented } from "./support/openapi";
import { label, permutations, WAYS, type Way } from "./support/sequence";
import { developmentEnv, startProductionBuild } from "./support/server";
import { signIn } from "./support/session";

const setup = { actor: "blackbox-setup" };

let server: AppServer;
/** A signed-in account admin: the Admin Panel's form and the session-aware API. */
let admin: Client;

/** Links a paid license to the client's account the way a signed-in browser does: the session-aware API. */
async function linkPaidLicense(owner: Client, address: string, limits: { maxTicketsPerMonth?: number } = {}) {
  const { key } = await issueLicense({ plan: "starter", email: address, limits }, setup);
  const linked = await api(owner, "next", "/admin/activate-license", {
    licenseKey: key,
    instanceId: instance("portal"),
  });
  expect(linked.status, linked.text).toBe(201);
  expectAnsweredBy(linked, "next");
  return key;
}

beforeAll(async () => {
  server = await startProductionBuild(developmentEnv());
  admin = new Client(server);
  const address = email("admin");
  await signIn(admin, address);
  // The account holds a paid license from the start, so the License & Billing page keeps one layout
  // while the tests below activate more keys on its form (see the last describe block).
  await linkPaidLicense(admin, address);
});

afterAll(async () => {
  await server?.stop();
});

/** What one attempt came to, whichever way it went in. */
type Attempt = { way: Way; reply: Reply; form?: Submission };

function expectFormRefusal(attempt: Attempt, code: string, message: RegExp) {
  const outcome = attempt.form!.outcome;
  const what = `${attempt.way}: ${attempt.reply.status}, alerts ${JSON.stringify(outcome.alerts)}`;
  expect(attempt.reply.status, what).toBe(200);
  expect(outcome.code, what).toBe(code);
  expect(outcome.alerts.join(" "), what).toMatch(message);
  expect(outcome.licenseKey, what).toBeNull();
}

describe("TRIAL_ALREADY_USED: one trial per email, whichever way asks first", () => {
  async function startTrial(way: Way, client: Client, address: string): Promise<Attempt> {
    if (way === "form") {
      const form = await submitForm(client, "/trial", { email: address });
      return { way, reply: form.reply, form };
    }
    return { way, reply: await api(client, way, "/admin/generate-trial", { email: address }) };
  }

  for (const order of permutations(WAYS)) {
    it(label(order), async () => {
      const client = new Client(server);
      const address = email("trial");
      // Later attempts spell the same address differently: the spec normalises (trimmed, lower-cased).
      const spellings = [address, `  ${address.toUpperCase()}  `, address.replace(/^bb/, "BB")];
      const attempts: Attempt[] = [];
      for (const [i, way] of order.entries()) attempts.push(await startTrial(way, client, spellings[i]!));

      const [first, ...rest] = attempts;
      let key: string;
      if (first!.way === "form") {
        expect(first!.reply.status).toBe(200);
        expect(first!.form!.outcome.alerts, "the first request gets the trial").toEqual([]);
        key = first!.form!.outcome.licenseKey!;
      } else {
        expect(first!.reply.status, first!.reply.text).toBe(201);
        expectAnsweredBy(first!.reply, first!.way as "fast" | "next");
        key = first!.reply.body.licenseKey;
      }
      expect(key).toMatch(TRIAL_KEY);

      for (const attempt of rest) {
        if (attempt.way === "form") expectFormRefusal(attempt, "TRIAL_ALREADY_USED", /already/i);
        else {
          expectError(attempt.reply, 409, "TRIAL_ALREADY_USED");
          expectAnsweredBy(attempt.reply, attempt.way as "fast" | "next");
          expect(attempt.reply.text).not.toMatch(/TZ-TRIAL-[0-9A-Z]{8}/);
        }
      }

      // The one trial is there and usable.
      const status = await api(client, "fast", "/api/license-status", undefined, { key });
      expect(status.status, status.text).toBe(200);
      expect(status.body).toMatchObject({ status: "trial", license: { plan: "trial" } });
    });
  }
});

describe("ACTIVATION_LIMIT_REACHED: two slots filled on the two API paths, then both are refused; the Admin Panel form takes no slot", () => {
  /** One new installation of `key`, on `way`: the signed-in API or an installation (the form adds keys, not installations). */
  async function activate(way: Way, key: string, name: string): Promise<Attempt> {
    const path = way === "next" ? "next" : "fast";
    const client = path === "next" ? admin : new Client(server);
    return { way, reply: await api(client, path, "/admin/activate-license", { licenseKey: key, instanceId: name }) };
  }

  function expectActivated(attempt: Attempt, created: boolean) {
    expect(attempt.reply.status, attempt.reply.text).toBe(created ? 201 : 200);
    expectAnsweredBy(attempt.reply, attempt.way as "fast" | "next");
    expect(attempt.reply.body.activation).toMatchObject({ created });
  }

  const INSTALLATION_WAYS = WAYS.filter((way) => way !== "form");
  for (const order of permutations(INSTALLATION_WAYS)) {
    it(label(order), async () => {
      const { key } = await issueLicense(
        { plan: "starter", email: email("act"), limits: { maxActivations: 2 } },
        setup,
      );
      const names = order.map((way) => instance(way));
      expectActivated(await activate(order[0]!, key, names[0]!), true);
      expectActivated(await activate(order[1]!, key, names[1]!), true);

      // The next installation, on both paths, starting with the one used last.
      for (const way of [order[1]!, order[0]!]) {
        const refused = await activate(way, key, instance(`${way}-over`));
        expectError(refused.reply, 409, "ACTIVATION_LIMIT_REACHED");
        expectAnsweredBy(refused.reply, way as "fast" | "next");
      }

      // The refusals took no slot; an installation that has one still gets in (idempotent, 200).
      const status = await api(new Client(server), "fast", "/api/license-status", undefined, { key });
      expect(status.status, status.text).toBe(200);
      expect(status.body.usage.activations).toBe(2);
      expect(status.body.limits.maxActivations).toBe(2);
      expectActivated(await activate(order[0]!, key, names[0]!), false);

      // The Admin Panel's "Activate License" adds the key to the account whatever its slots: no installation.
      const form = await submitForm(admin, "/admin/license", { licenseKey: key });
      expect(form.outcome.alerts, form.outcome.text.slice(0, 300)).toEqual([]);
      expect(["ADDED", "ALREADY_ON_ACCOUNT"]).toContain(form.outcome.status);
      const after = await api(new Client(server), "fast", "/api/license-status", undefined, { key });
      expect(after.body.usage.activations).toBe(2);
    });
  }
});

describe("USAGE_LIMIT_EXCEEDED: nothing is counted past the limit, on either API path", () => {
  const LIMIT = 10;

  /** A license with a small ticket limit, linked to its own signed-in account. */
  async function accountWithLicense() {
    const owner = new Client(server);
    const address = email("usage");
    await signIn(owner, address);
    const key = await linkPaidLicense(owner, address, { maxTicketsPerMonth: LIMIT });
    const installation = new Client(server);
    const instanceId = instance("usage");
    const activated = await api(installation, "fast", "/admin/activate-license", { licenseKey: key, instanceId });
    expect(activated.status, activated.text).toBe(201);
    return { owner, installation, key, instanceId };
  }

  /** This month's tickets as the installation (fast path, key) and as the owner (Next.js path, session) see them. */
  async function ticketsSeen(owner: Client, installation: Client, key: string) {
    const byKey = await api(installation, "fast", "/api/license-status", undefined, { key });
    const bySession = await api(owner, "next", "/api/license-status");
    expect(byKey.status, byKey.text).toBe(200);
    expect(bySession.status, bySession.text).toBe(200);
    expectAnsweredBy(bySession, "next");
    return [byKey.body.usage.ticketsThisMonth, bySession.body.usage.ticketsThisMonth];
  }

  /**
   * A report on the Next.js path: a cookie without a key, since a bearer key takes a request to the
   * fast path. Usage comes from installations, so it is refused as having no credential.
   */
  async function reportOnNext(owner: Client, tickets: number) {
    const reply = await api(owner, "next", "/api/usage", { tickets });
    expectError(reply, 401, "UNAUTHENTICATED");
    expectAnsweredBy(reply, "next");
  }

  it("fast path first: filled to the limit, then refused on both paths", async () => {
    const { owner, installation, key, instanceId } = await accountWithLicense();
    const part = LIMIT - 4;
    const first = await api(installation, "fast", "/api/usage", { tickets: part }, { key, instanceId });
    expect(first.status, first.text).toBe(200);
    expect(first.body.remaining).toBe(LIMIT - part);

    // One ticket more than what is left: refused whole, nothing counted.
    const over = LIMIT - part + 1;
    expectError(
      await api(installation, "fast", "/api/usage", { tickets: over }, { key, instanceId }),
      409,
      "USAGE_LIMIT_EXCEEDED",
    );
    await reportOnNext(owner, over);
    expect(await ticketsSeen(owner, installation, key)).toEqual([part, part]);

    const rest = await api(installation, "fast", "/api/usage", { tickets: LIMIT - part }, { key, instanceId });
    expect(rest.status, rest.text).toBe(200);
    expect(rest.body.remaining).toBe(0);
    expectError(
      await api(installation, "fast", "/api/usage", { tickets: 1 }, { key, instanceId }),
      409,
      "USAGE_LIMIT_EXCEEDED",
    );
    await reportOnNext(owner, 1);
    expect(await ticketsSeen(owner, installation, key)).toEqual([LIMIT, LIMIT]);
  });

  it("Next.js path first: nothing counted there, then the fast path fills exactly to the limit", async () => {
    const { owner, installation, key, instanceId } = await accountWithLicense();
    await reportOnNext(owner, LIMIT);
    expect(await ticketsSeen(owner, installation, key)).toEqual([0, 0]);

    expectError(
      await api(installation, "fast", "/api/usage", { tickets: LIMIT + 1 }, { key, instanceId }),
      409,
      "USAGE_LIMIT_EXCEEDED",
    );
    const all = await api(installation, "fast", "/api/usage", { tickets: LIMIT }, { key, instanceId });
    expect(all.status, all.text).toBe(200);
    expect(all.body.remaining).toBe(0);
    await reportOnNext(owner, 1);
    expectError(
      await api(installation, "fast", "/api/usage", { tickets: 1 }, { key, instanceId }),
      409,
      "USAGE_LIMIT_EXCEEDED",
    );
    expect(await ticketsSeen(owner, installation, key)).toEqual([LIMIT, LIMIT]);
  });
});

describe("the Admin Panel's activation form, without JavaScript", () => {
  it("adds the account's first paid key, says so, and uses none of its installation slots", async () => {
    const owner = new Client(server);
    const address = email("first-paid");
    await signIn(owner, address);
    const { key } = await issueLicense({ plan: "starter", email: address }, setup);
    const { reply, outcome } = await submitForm(owner, "/admin/license", { licenseKey: key });
    expect(reply.status).toBe(200);
    expect(outcome.alerts).toEqual([]);
    expect(outcome.status, "the form's “License activated” confirmation").toBe("ADDED");
    // No installation was recorded: the paid slots stay for the customer's servers ...
    const status = await api(new Client(server), "fast", "/api/license-status", undefined, { key });
    expect(status.body.usage.activations).toBe(0);
    // ... and the license is on the account: the session's status is this license.
    const mine = await api(owner, "next", "/api/license-status");
    expect(mine.body.license?.key).toBe(status.body.license.key);
  });
});

describe("the OpenAPI document", () => {
  it("describes every answer above (GET /api/openapi.json)", async () => {
    await expectAnswersDocumented(server);
  });
});
