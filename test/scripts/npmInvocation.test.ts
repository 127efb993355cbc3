import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { npmInvocation } from "../../scripts/npmInvocation.js";

describe("npm as a child process, on every platform (npm run build)", () => {
  const args = ["ci", "--omit=dev"];
  it("under npm run, runs npm's own CLI script with this Node, on any platform", () => {
    for (const platform of ["linux", "win32", "darwin"] as const) {
      assert.deepEqual(npmInvocation(args, { npm_execpath: "C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npm-cli.js" }, platform, "C:\\Program Files\\nodejs\\node.exe"), {
        command: "C:\\Program Files\\nodejs\\node.exe",
        args: ["C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npm-cli.js", ...args],
      });
    }
  });

  it("on Windows outside npm, never names npm.cmd (execFile cannot start a batch file): Node runs the npm installed beside it", () => {
    const invocation = npmInvocation(args, {}, "win32", "C:\\Program Files\\nodejs\\node.exe");
    assert.deepEqual(invocation, { command: "C:\\Program Files\\nodejs\\node.exe", args: ["C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npm-cli.js", ...args] });
    assert.ok(!/npm(\.cmd)?$/i.test(invocation.command));
  });

  it("elsewhere outside npm, npm on the PATH", () => {
    assert.deepEqual(npmInvocation(args, {}, "linux", "/usr/bin/node"), { command: "npm", args });
  });

  it("runs here as it is built: the npm it names answers", async () => {
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    const invocation = npmInvocation(["--version"], process.env, process.platform, process.execPath);
    const { stdout } = await promisify(execFile)(invocation.command, [...invocation.args]);
    assert.match(stdout.trim(), /^\d+\.\d+\.\d+/);
  });
});
