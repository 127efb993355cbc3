import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { allSettings } from "../../shared/config/settings.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("the README's configuration table", () => {
  for (const setting of allSettings()) {
    it(`lists ${setting.name} with its default`, () => {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${setting.name}\` |`));
      assert.ok(row, `${setting.name} is missing from the README table`);
      if (setting.defaultText !== undefined && /^[\w*/ ,.-]+$/.test(setting.defaultText)) {
        assert.ok(row.includes(setting.defaultText), `${setting.name}: README does not show the default ${setting.defaultText}`);
      }
    });
  }
});

describe("the README's links within itself", () => {
  it("every #anchor names a heading (GitHub's rule: lower case, punctuation dropped, spaces to hyphens)", () => {
    const anchorOf = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
    const headings = new Set(readme.split("\n").filter((line) => /^#{1,6} /.test(line)).map((line) => anchorOf(line.replace(/^#+ /, ""))));
    const anchors = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] as string);
    assert.ok(anchors.length >= 10, `${anchors.length} anchors`);
    assert.deepEqual(anchors.filter((a) => !headings.has(a)), []);
  });
});
