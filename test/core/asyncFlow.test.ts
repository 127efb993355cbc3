import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { forEachLimited, readAhead } from "../../shared/core/asyncFlow.js";

/** A source whose every item is released by hand, recording when each was asked for. */
function manualSource(count: number) {
  const asked: number[] = [];
  const releases: (() => void)[] = [];
  async function* source() {
    for (let i = 0; i < count; i += 1) {
      asked.push(i);
      await new Promise<void>((resolve) => releases.push(resolve));
      yield i;
    }
  }
  return { source: source(), asked, release: (i: number) => releases[i]?.() };
}

describe("readAhead", () => {
  it("asks for the next item as soon as the current one is handed over, not when it is consumed", async () => {
    const { source, asked, release } = manualSource(3);
    const ahead = readAhead(source);
    const first = ahead.next();
    await tick();
    release(0);
    assert.deepEqual(await first, { done: false, value: 0 });
    await tick();
    assert.deepEqual(asked, [0, 1], "the second item was not on its way while the first was being used");
    release(1);
    release(2);
    const rest: number[] = [];
    for (let r = await ahead.next(); !r.done; r = await ahead.next()) {
      rest.push(r.value);
      await tick();
      release(2);
    }
    assert.deepEqual(rest, [1, 2]);
  });

  it("hands on the source's failure", async () => {
    async function* failing() {
      yield 1;
      throw new Error("page 2 refused");
    }
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const item of readAhead(failing())) seen.push(item);
    }, /page 2 refused/);
    assert.deepEqual(seen, [1]);
  });
});

describe("forEachLimited", () => {
  it("keeps at most limit() tasks in flight, reading the limit again before each start", async () => {
    let limit = 2;
    let running = 0;
    const peaks: number[] = [];
    const finishers: (() => void)[] = [];
    async function* items() {
      for (let i = 0; i < 8; i += 1) yield i;
    }
    const done = forEachLimited(items(), () => limit, async () => {
      running += 1;
      peaks.push(running);
      await new Promise<void>((resolve) => finishers.push(resolve));
      running -= 1;
    });
    await tick();
    assert.equal(running, 2);
    limit = 4;
    finishers.shift()?.();
    await tick();
    await tick();
    assert.equal(running, 4, "a raised limit was not used");
    while (finishers.length > 0 || running > 0) {
      finishers.shift()?.();
      await tick();
    }
    await done;
    assert.equal(Math.max(...peaks), 4);
    assert.equal(peaks.length, 8);
  });

  it("starts across the source's boundaries: a slow task does not hold back the items after it", async () => {
    const started: number[] = [];
    let releaseSlow = () => {};
    async function* items() {
      yield* [0, 1, 2, 3];
    }
    const done = forEachLimited(items(), () => 2, async (i) => {
      started.push(i);
      if (i === 0) await new Promise<void>((resolve) => (releaseSlow = resolve));
    });
    for (let i = 0; i < 5; i += 1) await tick();
    assert.deepEqual(started, [0, 1, 2, 3], "items waited behind the slow one");
    releaseSlow();
    await done;
  });

  it("rejects with a task's failure before the source's, and starts nothing after it", async () => {
    const started: number[] = [];
    async function* items() {
      for (let i = 0; i < 10; i += 1) {
        await tick();
        yield i;
      }
      throw new Error("the source's own failure");
    }
    await assert.rejects(
      forEachLimited(items(), () => 1, async (i) => {
        started.push(i);
        if (i === 2) throw new Error("record 2 refused");
      }),
      /record 2 refused/,
    );
    assert.deepEqual(started, [0, 1, 2]);
  });
});
