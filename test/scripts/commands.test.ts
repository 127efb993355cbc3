import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { runScript } from "../support/runScript.js";

// Every command helps (-h and --help: what it does, its defaults, the settings it reads, an
// example) and refuses what it cannot do before it starts, by name, with exit status 2 and no stack.
const run = runScript;

describe("every command answers -h and --help", () => {
  for (const script of ["start", "status", "replay", "sandbox", "curate", "query"]) {
    for (const flag of ["-h", "--help"]) {
      it(`${script} ${flag}: usage, what it reads, an example; exit 0 and nothing started`, async () => {
        const r = await run(script, [flag]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^usage: npm (start|run \w+)/);
        assert.match(r.stdout, /\nExample/);
        assert.doesNotMatch(r.stdout, /listening on|harvesting/);
      });
    }
  }
});

describe("npm run status refuses a source it cannot read as an archive (exit status 2, named)", () => {
  let empty = "";
  before(async () => {
    empty = await mkdtemp(join(tmpdir(), "not-an-archive-"));
  });
  const table: [string, () => string[], RegExp][] = [
    ["a folder that does not exist", () => ["--out", "/nonexistent/archive"], /^error: --out \/nonexistent\/archive does not exist; give the folder npm start -- --out wrote/],
    ["a folder that is not an archive", () => ["--out", empty], /^error: --out \S+ is not an archive: it has no callrecords\/v1\/ folder/],
    ["--html without a file", () => ["--html"], /^error: Option '--html <value>' argument missing/],
    ["an unknown option", () => ["--everything"], /^error: Unknown option '--everything'/],
  ];
  for (const [what, args, message] of table) {
    it(what, async () => {
      const r = await run("status", args());
      assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "a stack trace was printed");
    });
  }
});
