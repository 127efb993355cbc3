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
