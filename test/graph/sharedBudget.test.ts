import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BlobServiceClient } from "@azure/storage-blob";
import { type Azurite, startAzurite } from "../../local/azurite.js";
import { RequestGovernor } from "../../shared/graph/requestGovernor.js";
import { type InstanceRegistry, type PeerUsage, allowance, fairShare, shareBudget, usageOf } from "../../shared/graph/sharedBudget.js";
import { tenantBudgets } from "../../shared/graph/tenantBudgets.js";
import { blobInstanceRegistry, folderInstanceRegistry, memoryInstanceRegistry } from "../../shared/pipeline/harvest/instanceRegistry.js";
import { FakeClock } from "../support/stubTransport.js";

const peer = (instance: string, requests: number, hungry = false): PeerUsage => ({ instance, requests, hungry });

describe("what an instance announces", () => {
  it("its use is its rate over the last two heartbeats, per window: a falling use is announced at once, not a window later", async () => {
    const clock = new FakeClock(0);
    // A window of 20 s, paced at 1,500: a request every ~13 ms, so nothing here waits long.
    const governor = new RequestGovernor({ requests: 1500, ceilingRequests: 1500, windowInMs: 20_000 }, clock);
    for (let i = 0; i < 100; i += 1) await governor.acquire();
    const busyUntil = clock.now();
    // 100 requests within ~1.3 s, then 9 s of nothing: the window still holds all 100.
    clock.current = busyUntil + 9_000;
    assert.equal(governor.requestsInLastWindow(clock.now()), 100);
    assert.deepEqual(usageOf(governor, "a", clock.now(), 2500), { instance: "a", requests: 0, hungry: false });
    // Ten requests in the last 5 s (two heartbeats of 2.5 s) is a use of 40 per 20 s window.
    for (let i = 0; i < 10; i += 1) {
      clock.current += 400;
      await governor.acquire();
    }
    assert.equal(usageOf(governor, "a", clock.now(), 2500).requests, 40);
  });
});

describe("allowance (max-min fair share of the app's ceiling)", () => {
  const rows: [string, PeerUsage[], number][] = [
    ["alone: the whole ceiling", [peer("me", 1400, true)], 1500],
    ["alone and idle: still the whole ceiling", [], 1500],
    ["two hungry: half each", [peer("me", 700, true), peer("b", 700, true)], 750],
    ["a hungry newcomer that has sent nothing yet: half at once", [peer("me", 1400, true), peer("b", 0, true)], 750],
    ["four hungry: a quarter each", [peer("me", 300, true), peer("b", 350, true), peer("c", 350, true), peer("d", 350, true)], 375],
    ["another that needs little leaves me the rest", [peer("me", 1000, true), peer("b", 300)], 1200],
    ["others using more than theirs do not push me below my share", [peer("me", 0, true), peer("b", 1400), peer("c", 1400)], 500],
    ["an idle announcement does not count", [peer("me", 700, true), peer("b", 0)], 1500],
    ["my own announcement is never counted against me", [peer("me", 1500, true)], 1500],
    // 300 + 100 kept by the two that need little; 1,100 left for two hungry: 550 each, not 725 each (1,850 in all).
    ["two hungry share what two that need little leave", [peer("me", 300, true), peer("b", 300, true), peer("c", 300), peer("d", 100)], 550],
    // 100 kept by d; c's 800 is above the level, so c and I share the rest: (1,500 − 100) ÷ 2.
    ["one that uses more than the level shares the level, one below keeps its use", [peer("me", 100, true), peer("c", 800), peer("d", 100)], 700],
  ];
  it("a fair share counts the busy others and myself, not the idle", () => {
    assert.equal(fairShare(1500, "me", [peer("me", 0, true), peer("b", 300), peer("c", 0, true), peer("d", 0)]), 500);
  });
  for (const [title, peers, expected] of rows) {
    it(title, () => assert.equal(allowance(1500, "me", peers), expected));
  }

  it("the hungry instances' allowances and the others' use never add up to more than the ceiling", () => {
    // Every mix of four hungry or not, each using 0, 200, 500 or 900 of a ceiling of 1,500.
    const uses = [0, 200, 500, 900];
    for (let mix = 0; mix < 4 ** 4 * 2 ** 4; mix += 1) {
      const peers = Array.from({ length: 4 }, (_, i) => peer(`i${i}`, uses[Math.floor(mix / 4 ** i) % 4] ?? 0, Math.floor(mix / (4 ** 4 * 2 ** i)) % 2 === 1));
      const level = (p: PeerUsage) => allowance(1500, p.instance, peers);
      const hungry = peers.filter((p) => p.hungry);
      // Those not hungry keep their use where it is below what they would be allowed.
      const total = hungry.reduce((sum, p) => sum + level(p), 0) + peers.filter((p) => !p.hungry).reduce((sum, p) => sum + Math.min(p.requests, level(p)), 0);
      if (hungry.length > 0) assert.ok(total <= 1500 + 1e-9, `${JSON.stringify(peers)}: ${total}`);
    }
  });

  it("fresh allowances of busy instances never add up to more than the ceiling when all are hungry", () => {
    for (let n = 1; n <= 8; n += 1) {
      const peers = Array.from({ length: n }, (_, i) => peer(`i${i}`, 100 * i, true));
      const total = peers.reduce((sum, p) => sum + allowance(1500, p.instance, peers), 0);
      assert.ok(total <= 1500 + 1e-9, `${n} instances: ${total}`);
    }
  });
});

describe("the governor under a shared budget", () => {
  it("paces at the allowance it is given, up or down, and no longer climbs on its own", async () => {
    const clock = new FakeClock(0);
    const governor = new RequestGovernor({ requests: 375, ceilingRequests: 1500, windowInMs: 20_000 }, clock);
    for (let i = 0; i < 4; i += 1) governor.setAllowance(750);
    for (let i = 0; i < 3000; i += 1) await governor.acquire();
    const perWindow = 3000 / (clock.now() / 20_000);
    assert.ok(perWindow > 0.9 * 750 && perWindow <= 750, `${perWindow.toFixed(0)} per window at an allowance of 750`);
    assert.ok(governor.requestsInLastWindow(clock.now()) <= 750);
    assert.equal(governor.isHungry(clock.now()), true, "its requests waited on the pace");
    assert.equal(governor.isHungry(clock.now() + 20_000), false, "a window on, nothing has waited since");
    governor.setAllowance(1500);
    assert.equal(governor.ratePerSecond() * 20, 750 + 1500 / 16, "up by a sixteenth of the ceiling at a time");
    governor.setAllowance(375);
    assert.equal(governor.ratePerSecond() * 20, 375, "down at once");
  });

  it("rises at once as far as its fair share, and above it a sixteenth of the ceiling at a time", () => {
    const governor = new RequestGovernor({ requests: 100, ceilingRequests: 1500, windowInMs: 20_000 }, new FakeClock(0));
    governor.setAllowance(1500, 750);
    assert.equal(governor.ratePerSecond() * 20, 750, "not at its fair share at once");
    governor.setAllowance(1500, 750);
    assert.equal(governor.ratePerSecond() * 20, 750 + 1500 / 16);
    governor.setAllowance(500, 750);
    assert.equal(governor.ratePerSecond() * 20, 500, "an allowance below the fair share still holds");
  });

  it("re-times requests already waiting when the allowance changes, down or up", async () => {
    const spacingAfter = async (from: number, to: number) => {
      const clock = new FakeClock(0);
      const governor = new RequestGovernor({ requests: from, ceilingRequests: 1600, windowInMs: 1000 }, clock);
      const times: number[] = [];
      // Fifty requests queue at one pace; the allowance changes before any of them is let through.
      const waiting = Array.from({ length: 50 }, () => governor.acquire().then(() => times.push(clock.now())));
      for (let i = 0; i < 16; i += 1) governor.setAllowance(to);
      await Promise.all(waiting);
      // The last ten: those released before the change (a burst at the first pace) are not in it.
      return ((times.at(-1) as number) - (times[39] as number)) / 10;
    };
    const slowed = await spacingAfter(1600, 100);
    // The new pace is 10.5 ms a request (a burst of two allowed), the old one 0.66 ms.
    assert.ok(slowed >= 1000 / 100 / 2, `waiting requests kept the old pace after it was lowered (${slowed.toFixed(2)} ms apart)`);
    const quickened = await spacingAfter(100, 1600);
    assert.ok(quickened <= (2 * 1000) / 1600 / 0.95, `waiting requests kept the old pace after it was raised (${quickened.toFixed(2)} ms apart)`);
  });
});

/** Two registries, the same contract. */
function registryContract(name: string, open: () => Promise<{ registry: InstanceRegistry; close: () => Promise<void> }>) {
  describe(`${name} instance registry`, () => {
    it("keeps each instance's latest announcement, drops the withdrawn, and ages out the silent", async () => {
      const { registry, close } = await open();
      try {
        await registry.announce(peer("a", 10, true));
        await registry.announce(peer("b", 20));
        await registry.announce(peer("a", 30, false));
        const read = (await registry.fresh(60_000)).sort((x, y) => x.instance.localeCompare(y.instance));
        assert.deepEqual(read, [peer("a", 30, false), peer("b", 20)]);
        await registry.withdraw("b");
        assert.deepEqual(await registry.fresh(60_000), [peer("a", 30, false)]);
        // "c" announces well after "a": with a freshness shorter than the gap, only "c" is live.
        await new Promise((resolve) => setTimeout(resolve, 1100));
        await registry.announce(peer("c", 5, true));
        assert.deepEqual(await registry.fresh(500), [peer("c", 5, true)]);
      } finally {
        await close();
      }
    });
  });
}

let azurite: Azurite;
before(async () => {
  azurite = await startAzurite();
});
after(async () => {
  await azurite.stop();
});

registryContract("folder", async () => {
  const folder = await mkdtemp(join(tmpdir(), "instances-"));
  return { registry: folderInstanceRegistry(folder), close: () => rm(folder, { recursive: true, force: true }) };
});

registryContract("blob (Azurite)", async () => {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(`state-${Date.now()}`);
  await container.create();
  return { registry: blobInstanceRegistry(container), close: async () => void (await container.delete()) };
});

describe("shareBudget", () => {
  it("two governors announcing in one registry settle at half the ceiling each, and the one left takes it all", async () => {
    const folder = await mkdtemp(join(tmpdir(), "instances-"));
    const clock = new FakeClock(0);
    try {
      const registry = folderInstanceRegistry(folder);
      const options = (instance: string) => ({ instance, ceiling: 1500, heartbeatInMs: 3_600_000, clock });
      const a = new RequestGovernor({ requests: 375, ceilingRequests: 1500, windowInMs: 20_000 }, clock);
      const b = new RequestGovernor({ requests: 375, ceilingRequests: 1500, windowInMs: 20_000 }, clock);
      const sharedA = shareBudget(a, registry, options("a"));
      const sharedB = shareBudget(b, registry, options("b"));
      // One fake clock: each sends in turn, so each waits on its own pace (both are hungry).
      for (let i = 0; i < 50; i += 1) await a.acquire();
      for (let i = 0; i < 50; i += 1) await b.acquire();
      await sharedA.beat();
      await sharedB.beat();
      await sharedA.beat();
      assert.equal(sharedA.allowance, 750);
      assert.equal(sharedB.allowance, 750);
      await sharedB.stop();
      for (let i = 0; i < 50; i += 1) await a.acquire();
      await sharedA.beat();
      assert.equal(sharedA.allowance, 1500);
      await sharedA.stop();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("an idle instance withdraws once and then touches no storage until it is busy again, waking at its idle share", async () => {
    const clock = new FakeClock(0);
    const calls: string[] = [];
    const registry: InstanceRegistry = {
      announce: async (usage) => void calls.push(`announce ${usage.instance} ${usage.requests}`),
      fresh: async () => (calls.push("fresh"), []),
      withdraw: async (instance) => void calls.push(`withdraw ${instance}`),
    };
    const governor = new RequestGovernor({ requests: 375, ceilingRequests: 1500, windowInMs: 20_000 }, clock);
    const shared = shareBudget(governor, registry, { instance: "a", ceiling: 1500, heartbeatInMs: 3_600_000, clock, idleAllowance: 375 });
    for (let i = 0; i < 10; i += 1) await governor.acquire();
    await shared.beat();
    assert.equal(shared.allowance, 1500, "alone and busy: the whole ceiling");
    clock.current += 60_000;
    calls.length = 0;
    for (let i = 0; i < 5; i += 1) await shared.beat();
    assert.deepEqual(calls, ["withdraw a"], "idle heartbeats wrote or listed");
    assert.equal(shared.allowance, 375, "an idle instance keeps an allowance it can no longer check");
    await governor.acquire();
    await shared.beat();
    assert.deepEqual(calls.slice(1), ["announce a 1", "fresh"]);
    await shared.stop();
  });
});

describe("the budget's two levels: each tenant's ceiling, and the app's across tenants", () => {
  it("three hungry tenants under an app ceiling of 3,000 get 1,000 each; one tenant's ceiling of 1,500 still holds it alone", async () => {
    const clock = new FakeClock(0);
    const app = memoryInstanceRegistry(() => clock.now());
    const tenants = ["a", "b", "c"].map((t) => ({
      governor: new RequestGovernor({ requests: 375, ceilingRequests: 1500, windowInMs: 20_000 }, clock),
      registry: memoryInstanceRegistry(() => clock.now()),
      member: `host-1-${t}`,
    }));
    const sharings = tenants.map((t) =>
      shareBudget(t.governor, t.registry, { instance: "host-1", ceiling: 1500, heartbeatInMs: 2500, clock, app: { registry: app, ceiling: 3000, member: t.member } }),
    );
    // Every tenant has work waiting: each sends until its pace makes it wait, all within the last
    // two heartbeats when they beat (what hungry means).
    for (const t of tenants) for (let i = 0; i < 30; i += 1) await t.governor.acquire();
    // The first round announces everyone (the first to beat saw no others yet); the second shares.
    for (const s of sharings) await s.beat();
    for (const s of sharings) await s.beat();
    assert.deepEqual(sharings.map((s) => s.allowance), [1000, 1000, 1000]);
    // One tenant goes idle: the other two share the app's ceiling, each up to its own 1,500.
    clock.current += 60_000;
    for (const t of tenants.slice(0, 2)) for (let i = 0; i < 30; i += 1) await t.governor.acquire();
    for (const s of sharings) await s.beat();
    for (const s of sharings) await s.beat();
    assert.deepEqual(sharings.slice(0, 2).map((s) => s.allowance), [1500, 1500]);
    for (const s of sharings) await s.stop();
  });
});

describe("tenants met together", () => {
  it("twenty tenants that wake at once pace at the app's ceiling over twenty each until their first heartbeat, not at a tenant's idle share each", () => {
    const clock = new FakeClock(0);
    const budgets = tenantBudgets({
      registryOf: () => memoryInstanceRegistry(() => clock.now()),
      app: { registry: memoryInstanceRegistry(() => clock.now()), ceiling: 3000 },
      instance: "host-1",
      ceiling: 1500,
      idleAllowance: 375,
      heartbeatInMs: 2500,
      clock,
    });
    const governors = Array.from({ length: 20 }, () => new RequestGovernor({ requests: 375, ceilingRequests: 1500, windowInMs: 20_000 }, clock));
    for (const [i, governor] of governors.entries()) budgets.share({ tenant: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, governor });
    // Read before any heartbeat has run: 3,000 ÷ 20 = 150 requests per 20 s, 7.5 a second each
    // (at 375 each, twenty would send 7,500 per 20 s against the app's 3,000).
    assert.deepEqual(governors.map((g) => g.ratePerSecond()), Array.from({ length: 20 }, () => 7.5));
    return budgets.stop();
  });
});
