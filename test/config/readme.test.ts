import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { allSettings } from "../../shared/config/settings.js";

const root = resolve(import.meta.dirname, "..", "..");
const read = (file: string) => readFileSync(join(root, file), "utf8");
const documents = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

describe("the configuration table (docs/configuration.md)", () => {
  const table = read("docs/configuration.md");
  for (const setting of allSettings()) {
    it(`lists ${setting.name} with the parser's default, exactly`, () => {
      const row = table.split("\n").find((line) => line.startsWith(`| \`${setting.name}\` |`));
      assert.ok(row, `${setting.name} is missing from the table`);
      const cell = (row.split(" | ")[1] ?? "").replace(/`/g, "");
      // No default: "(none…", with why where it matters ("(none; required in Azure)").
      if (setting.defaultText === undefined) assert.match(cell, /^\(none\b/, `${setting.name}: the table's default`);
      else assert.equal(cell, setting.defaultText, `${setting.name}: the table's default`);
    });
  }
  it("lists no setting the parser does not read", () => {
    const names = new Set(allSettings().map((s) => s.name));
    const listed = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1] as string);
    assert.deepEqual(listed.filter((name) => !names.has(name)), []);
  });
});

describe("the README is a front door", () => {
  it("of at most 300 lines; the detail lives in docs/", () => {
    const lines = read("README.md").split("\n").length;
    assert.ok(lines <= 300, `${lines} lines`);
  });
});

describe("links in the README and docs/", () => {
  // GitHub's rule for a heading's anchor: lower case, punctuation dropped, spaces to hyphens.
  const anchorOf = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
  const anchorsOf = (text: string) => {
    const prose = text.replace(/```[\s\S]*?```/g, "");
    return new Set([
      ...prose.split("\n").filter((line) => /^#{1,6} /.test(line)).map((line) => anchorOf(line.replace(/^#+ /, ""))),
      ...[...prose.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1] as string),
    ]);
  };
  for (const document of documents) {
    it(`${document}: every relative link names a file that exists, and a heading in it`, () => {
      const text = read(document);
      const broken: string[] = [];
      for (const [, target] of text.replace(/```[\s\S]*?```/g, "").matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target as string)) continue;
        const [path, anchor] = (target as string).split("#");
        const file = path ? join(dirname(document), path) : document;
        if (!existsSync(join(root, file))) broken.push(`${target}: no file ${file}`);
        else if (anchor && file.endsWith(".md") && !anchorsOf(read(file)).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${file}`);
      }
      assert.deepEqual(broken, []);
    });
  }
});
