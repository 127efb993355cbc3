/**
 * How to run npm as a child process, on every platform, decided without effects. On Windows npm is
 * `npm.cmd`, a batch file that `execFile` cannot start (and Node 20.12+ refuses to run without a
 * shell), so npm is started as what it is: Node running npm's CLI script. Under `npm run` that
 * script is in `npm_execpath`; otherwise it is the one installed beside Node (`node_modules/npm`),
 * which is where Node's Windows installer puts it. Elsewhere `npm` on the PATH does.
 */
import { win32 } from "node:path";

export interface Invocation {
  readonly command: string;
  readonly args: readonly string[];
}

export function npmInvocation(args: readonly string[], env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform, nodePath: string): Invocation {
  const cli = env.npm_execpath;
  if (cli !== undefined && /\.(c|m)?js$/i.test(cli)) return { command: nodePath, args: [cli, ...args] };
  if (platform === "win32") return { command: nodePath, args: [win32.join(win32.dirname(nodePath), "node_modules", "npm", "bin", "npm-cli.js"), ...args] };
  return { command: "npm", args };
}
