/**
 * Per-IP limits are one budget, whichever way the requests come in (the trial
 * page's form, the Next.js route handler, the fast path): spent in total,
 * then 429 RATE_LIMITED with Retry-After on every way, and a refused request
 * creates nothing. The client's address is the socket's: a client-sent
 * X-Forwarded-For (or any other address header) moves nobody into a fresh
 * budget unless the operator set TRUST_PROXY.
 *
 * Each client connects from its own loopback address, so no two tests (and no
 * two runs on a PostgreSQL that keeps its counters) share a budget.
 */

import { randomInt } from "node:crypto";
import { getCounterSql } from "@ticketzero/core/db/client";
import { issueLicense } from "@ticketzero/core/license/licenses";
import { perKeyRow, pruneRateLimits } from "@ticketzero/core/server/rate-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppServer } from "../support/app-server";
import { api, email, expectAnsweredBy, expectError, expectRateLimited, instance, TRIAL_KEY } from "./support/api";
import { Client, type Reply, randomLoopbackIp } from "./support/client";
import { submitForm } from "./support/forms";
import { expectAnswersDocumented } from "./support/openapi";
import { label, permutations, WAYS, type Way } from "./support/sequence";
import { developmentEnv, startProductionBuild } from "./support/server";

const TRIALS = 2;
const FAILED_LOOKUPS = 20;
const ATTEMPTS = 10;
const limits = {
  RATE_LIMIT_TRIALS_PER_HOUR: String(TRIALS),
  RATE_LIMIT_FAILED_LOOKUPS: String(FAILED_LOOKUPS),
  // Activation attempts per (license, instance), and new slots per license: both small, so a
  // refused installation's retries would lock the license out if they shared one budget.
  RATE_LIMIT_ACTIVATION_ATTEMPTS_PER_HOUR: String(ATTEMPTS),
  RATE_LIMIT_ACTIVATIONS_PER_HOUR: String(ATTEMPTS),
  // A 1,000-request burst queues behind a 4-connection pool on a 2-core machine: measure the
  // limiter's answers, not the 503 deadline (which would not leak a key's existence either).
  REQUEST_DEADLINE_MS: "30000",
};

/** No TRUST_PROXY: the client address is the socket's. */
let direct: AppServer;
/** TRUST_PROXY=1: the address one proxy appended to X-Forwarded-For. */
let proxied: AppServer;

beforeAll(async () => {
  const started = await Promise.allSettled([
    startProductionBuild(developmentEnv(limits)),
    startProductionBuild(developmentEnv({ ...limits, TRUST_PROXY: "1" })),
  ]);
  const [first, second] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined));
  direct = first!;
  proxied = second!;
  const failed = started.find((s) => s.status === "rejected");
  if (failed) throw failed.reason; // afterAll stops the one that did start
});

afterAll(async () => {
  await Promise.all([direct?.stop(), proxied?.stop()]);
});

type Trial = { way: Way; reply: Reply; granted: boolean; code: string | null };

/** One trial request on `way`; `headers` ride along on every way (the form's POST included). */
async function askForTrial(client: Client, way: Way, address: string, headers: Record<string, string> = {}) {
  if (way === "form") {
    const { reply, outcome } = await submitForm(client, "/trial", { email: address }, { headers });
    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    if (outcome.licenseKey) expect(outcome.licenseKey).toMatch(TRIAL_KEY);
    return { way, reply, granted: outcome.licenseKey !== null, code: outcome.code } satisfies Trial;
  }
  const reply = await api(client, way, "/admin/generate-trial", { email: address }, { headers });
  expectAnsweredBy(reply, way);
  const granted = reply.status === 201;
  if (granted) expect(reply.body.licenseKey).toMatch(TRIAL_KEY);
  return { way, reply, granted, code: granted ? null : (reply.body?.error?.code ?? null) } satisfies Trial;
}

function expectLimited(trial: Trial) {
  if (trial.way === "form") {
    expect(trial.code, `form: ${trial.reply.text.length} bytes`).toBe("RATE_LIMITED");
  } else {
    expectRateLimited(trial.reply);
  }
}

/** Headers a client may send to claim another address. */
const spoofed = () => {
  const ip = randomIp();
  return { "X-Forwarded-For": ip, "X-Real-IP": ip, "x-tz-client-ip": ip, Forwarded: `for=${ip}` };
};

describe(`trials per IP (RATE_LIMIT_TRIALS_PER_HOUR=${TRIALS}): one budget across the three ways`, () => {
  for (const order of permutations(WAYS)) {
    it(label(order), async () => {
      const client = new Client(direct);
      const refusedEmails: string[] = [];
      const results: Trial[] = [];
      // Two rounds over the three ways: the budget is spent by the first two requests, wherever they went.
      for (const way of [...order, ...order]) {
        const address = email("rl");
        const trial = await askForTrial(client, way, address);
        results.push(trial);
        if (!trial.granted) refusedEmails.push(address);
      }
      expect(results.map((r) => r.granted)).toEqual(results.map((_, i) => i < TRIALS));
      for (const refused of results.slice(TRIALS)) expectLimited(refused);
      const retryAfter = Number(results.find((r) => r.way !== "form" && !r.granted)!.reply.headers["retry-after"]);
      expect(retryAfter).toBeLessThanOrEqual(3600);

      // The refused requests created nothing: from another address, the same emails still get their trial.
      const elsewhere = new Client(direct);
      for (const [i, address] of refusedEmails.slice(0, 2).entries()) {
        const later = await askForTrial(elsewhere, i === 0 ? "fast" : "next", address);
        expect(later.granted, later.reply.text.slice(0, 300)).toBe(true);
      }
    });
  }
});

describe("the client address is the socket's unless TRUST_PROXY is set", () => {
  it("without TRUST_PROXY, X-Forwarded-For, X-Real-IP, Forwarded and x-tz-client-ip do not open a fresh budget", async () => {
    const client = new Client(direct);
    const results: Trial[] = [];
    for (const way of [...WAYS, ...WAYS]) results.push(await askForTrial(client, way, email("spoof"), spoofed()));
    expect(results.map((r) => `${r.way}:${r.granted}`)).toEqual(results.map((r, i) => `${r.way}:${i < TRIALS}`));
    for (const refused of results.slice(TRIALS)) expectLimited(refused);
  });

  it("with TRUST_PROXY=1, the proxy's X-Forwarded-For is the address, and x-tz-client-ip still is not", async () => {
    // One machine behind the operator's proxy: the same socket address for every request.
    const proxy = randomLoopbackIp();
    const behind = (clientIp: string, extra: Record<string, string> = {}) => ({
      "X-Forwarded-For": clientIp,
      ...extra,
    });
    const first = randomIp();
    const second = randomIp();
    const client = new Client(proxied, proxy);

    const spent: Trial[] = [];
    for (const way of WAYS) {
      spent.push(await askForTrial(client, way, email("proxied"), behind(first, { "x-tz-client-ip": randomIp() })));
    }
    expect(spent.map((r) => r.granted)).toEqual(spent.map((_, i) => i < TRIALS));
    for (const refused of spent.slice(TRIALS)) expectLimited(refused);

    // Another client behind the same proxy has its own budget, on every way.
    const other: Trial[] = [];
    for (const way of ["fast", "next", "form"] as const) {
      other.push(await askForTrial(client, way, email("proxied"), behind(second)));
    }
    expect(other.map((r) => r.granted)).toEqual(other.map((_, i) => i < TRIALS));
    for (const refused of other.slice(TRIALS)) expectLimited(refused);
  });
});

/** A client address as a proxy would report it: random, so runs on a PostgreSQL that keeps counters never meet. */
const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

describe(`failed key lookups per IP (RATE_LIMIT_FAILED_LOOKUPS=${FAILED_LOOKUPS}): one budget across both API paths`, () => {
  for (const order of permutations(["next", "fast"] as const)) {
    it(`unknown keys alternating ${label(order)}, then the address is blocked on both, even for a valid key`, async () => {
      const { key } = await issueLicense({ plan: "starter", email: email("lookup") }, { actor: "blackbox-setup" });
      const client = new Client(direct);
      const unknown = () => `TZ-PRO-${[0, 0, 0, 0].map(() => randomGroup()).join("-")}`;
      // Alternating, each path sees at most FAILED_LOOKUPS / 2 + 1 failures: only a shared budget runs out.
      const statuses: string[] = [];
      for (let i = 0; i < FAILED_LOOKUPS + 2 && !statuses.some((s) => s.endsWith(":429")); i++) {
        const way = order[i % 2]!;
        const reply = await api(client, way, "/admin/activate-license", { licenseKey: unknown() });
        statuses.push(`${way}:${reply.status}`);
        expectAnsweredBy(reply, way);
        if (i < FAILED_LOOKUPS) expectError(reply, 404, "LICENSE_NOT_FOUND");
        else expectError(reply, [404, 429], ["LICENSE_NOT_FOUND", "RATE_LIMITED"]);
      }
      expect(statuses.at(-1), `statuses: ${statuses.join(", ")}`).toMatch(/:429$/);
      for (const way of order) {
        const blocked = await api(client, way, "/admin/activate-license", { licenseKey: key });
        expectRateLimited(blocked);
        expectAnsweredBy(blocked, way);
      }
      expectRateLimited(await api(client, "fast", "/api/license-status", undefined, { key }));
      // The key itself is fine, from anywhere else; and the blocked attempts activated nothing.
      const elsewhere = await api(new Client(direct), "fast", "/api/license-status", undefined, { key });
      expect(elsewhere.status, `${statuses.join(",")} then ${elsewhere.text}`).toBe(200);
      expect(elsewhere.body.usage.activations).toBe(0);
    });
  }
});

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const randomGroup = () => Array.from({ length: 4 }, () => CROCKFORD[randomInt(32)]).join("");

const unknownKey = () => `TZ-PRO-${[0, 0, 0, 0].map(() => randomGroup()).join("-")}`;

function tally(replies: Reply[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of replies) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

/** A burst of unknown keys from one client, half on each API path, all at once. */
async function burst(client: Client, n: number): Promise<{ replies: Reply[]; keys: string[] }> {
  const keys = Array.from({ length: n }, unknownKey);
  const replies = await Promise.all(
    keys.map((key, i) =>
      i % 2
        ? api(client, "fast", "/api/license-status", undefined, { key })
        : api(client, "next", "/admin/activate-license", { licenseKey: key }),
    ),
  );
  return { replies, keys };
}

describe(`failed lookups are exact and fair (RATE_LIMIT_FAILED_LOOKUPS=${FAILED_LOOKUPS})`, () => {
  it("1,000 concurrent unknown keys from one IP: at most the limit of 404s, the rest 429; no row per key; rows pruned", async () => {
    const client = new Client(direct);
    const { replies, keys } = await burst(client, 1000);
    const counts = tally(replies);
    console.info(
      `[blackbox] 1,000 concurrent unknown keys from one IP, limit ${FAILED_LOOKUPS}: ${JSON.stringify(counts)}`,
    );
    expect(counts[404] ?? 0).toBeLessThanOrEqual(FAILED_LOOKUPS);
    expect(counts[404] ?? 0).toBeGreaterThan(0);
    expect((counts[404] ?? 0) + (counts[429] ?? 0), JSON.stringify(counts)).toBe(1000);
    for (const reply of replies) {
      if (reply.status === 404) expectError(reply, 404, "LICENSE_NOT_FOUND");
      else expectRateLimited(reply);
    }
    // Guessed keys leave no per-key rows; the address has one counter and one strike.
    const sql = getCounterSql();
    expect(await sql`select key from rate_limits where key = any(${keys.map(perKeyRow)})`).toHaveLength(0);
    const rows = await sql`select key from rate_limits where key like ${`%:${client.ip}`} order by key`;
    // (The socket's address may be IPv4-mapped: ::ffff:127.x.y.z.)
    expect(rows.map((r) => String(r.key).replace("::ffff:", ""))).toEqual([`miss:${client.ip}`, `strike:${client.ip}`]);

    // Once they expire (time moved on), pruning deletes them, and the address starts afresh.
    await sql`update rate_limits set expire = ${Date.now() - 1} where key like ${`%:${client.ip}`}`;
    const pruned = await pruneRateLimits();
    expect(pruned.deleted).toBeGreaterThanOrEqual(2);
    expect(await sql`select key from rate_limits where key like ${`%:${client.ip}`}`).toHaveLength(0);
    expectError(
      await api(client, "fast", "/api/license-status", undefined, { key: unknownKey() }),
      404,
      "LICENSE_NOT_FOUND",
    );
  });

  it("behind one NAT: an activated installation keeps getting 200 while the address is blocked; a guesser gets 429 for everything", async () => {
    const { key } = await issueLicense({ plan: "professional", email: email("nat") }, { actor: "blackbox-setup" });
    const nat = new Client(direct);
    const box = instance("nat");
    const activated = await api(nat, "fast", "/admin/activate-license", { licenseKey: key, instanceId: box });
    expect(activated.status, activated.text).toBe(201);

    // A misconfigured sibling (or a guesser) on the same address gets it blocked.
    const { replies } = await burst(nat, 200);
    expect(tally(replies)[404] ?? 0).toBeLessThanOrEqual(FAILED_LOOKUPS);
    expectRateLimited(await api(nat, "fast", "/api/license-status", undefined, { key: unknownKey() }));

    // The activated installation is not affected, on status or a repeated activation, on both paths.
    for (let i = 0; i < 10; i++) {
      const ok = await api(nat, "fast", "/api/license-status", undefined, { key, instanceId: box });
      expect(ok.status, ok.text).toBe(200);
    }
    const again = await api(nat, "next", "/admin/activate-license", { licenseKey: key, instanceId: box });
    expect(again.status, again.text).toBe(200);
    expectAnsweredBy(again, "next");

    // Nothing else from that address tells whether a key exists: valid key without, or with an
    // unactivated, instance; unknown key with the activated instance's id; malformed key.
    expectRateLimited(await api(nat, "fast", "/api/license-status", undefined, { key }));
    expectRateLimited(await api(nat, "fast", "/api/license-status", undefined, { key, instanceId: instance("guess") }));
    expectRateLimited(await api(nat, "fast", "/api/license-status", undefined, { key: unknownKey(), instanceId: box }));
    expectRateLimited(
      await api(nat, "fast", "/api/license-status", undefined, { key: "TZ-PRO-1234", instanceId: box }),
    );
    const newcomer = await api(nat, "next", "/admin/activate-license", {
      licenseKey: key,
      instanceId: instance("new"),
    });
    expectRateLimited(newcomer);
    // From elsewhere the key is fine, and the blocked attempts activated nothing.
    const elsewhere = await api(new Client(direct), "fast", "/api/license-status", undefined, { key });
    expect(elsewhere.status, elsewhere.text).toBe(200);
    expect(elsewhere.body.usage.activations).toBe(1);
  });

  it("with TRUST_PROXY=1 a forged leftmost X-Forwarded-For does not open a fresh budget", async () => {
    const proxy = new Client(proxied, randomLoopbackIp());
    const real = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < FAILED_LOOKUPS + 3; i++) {
      const reply = await api(proxy, "fast", "/api/license-status", undefined, {
        key: unknownKey(),
        headers: { "X-Forwarded-For": `${randomIp()}, ${real}` }, // client-written, then what the proxy saw
      });
      statuses.push(reply.status);
    }
    expect(statuses.join(",")).toBe([...Array(FAILED_LOOKUPS).fill(404), 429, 429, 429].join(","));
    // Another client behind the same proxy is unaffected.
    const other = await api(proxy, "fast", "/api/license-status", undefined, {
      key: unknownKey(),
      headers: { "X-Forwarded-For": `${real}, ${randomIp()}` },
    });
    expectError(other, 404, "LICENSE_NOT_FOUND");
  });
});

describe(`activation attempts per (license, instance) (RATE_LIMIT_ACTIVATION_ATTEMPTS_PER_HOUR=${ATTEMPTS})`, () => {
  it("a refused 6th installation retrying 100 times does not stop a legitimate activation after a slot frees", async () => {
    const { key } = await issueLicense({ plan: "professional", email: email("retry") }, { actor: "blackbox-setup" }); // 5 slots
    const client = new Client(direct);
    const activate = (instanceId: string) =>
      api(client, "fast", "/admin/activate-license", { licenseKey: key, instanceId });
    const installed = Array.from({ length: 5 }, (_, i) => instance(`slot${i}`));
    for (const id of installed) expect((await activate(id)).status).toBe(201);

    const refusedId = instance("refused");
    const retries: Reply[] = [];
    for (let i = 0; i < 100; i++) retries.push(await activate(refusedId));
    const statuses = retries.map((r) => r.status);
    console.info(`[blackbox] refused installation, 100 retries: ${JSON.stringify(tally(retries))}`);
    for (const r of retries.slice(0, ATTEMPTS)) expectError(r, 409, "ACTIVATION_LIMIT_REACHED");
    for (const r of retries.slice(ATTEMPTS)) expectRateLimited(r);
    expect(statuses.slice(ATTEMPTS).every((s) => s === 429)).toBe(true);

    const freed = await api(client, "fast", "/api/deactivate", { instanceId: installed[0] }, { key });
    expect(freed.status, freed.text).toBe(200);
    const legit = await activate(instance("legit"));
    expect(legit.status, legit.text).toBe(201);
    // The refused one is still held to its own budget.
    expectRateLimited(await activate(refusedId));
  });
});

describe("the OpenAPI document", () => {
  it("describes every answer above, from both servers (GET /api/openapi.json)", async () => {
    await expectAnswersDocumented(direct);
  });
});
