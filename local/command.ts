/**
 * How an `npm run …` command ends: its exit status, or a usage or configuration error as one named
 * sentence and exit status 2 (never a stack trace), or anything else with its stack and 1. Every
 * line goes through redactUrl, so a SAS token given on the command line is never printed.
 */
import { resolve } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { isConfigError } from "../shared/core/errors.js";
import { UsageError, redactUrl } from "./startOptions.js";

export async function runCommand(name: string, usage: string, main: () => Promise<number>, cleanup: () => Promise<void> = async () => undefined): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(redactUrl(`error: ${error.message}\n${usage}\n(npm run ${name} -- --help for more)`));
      process.exitCode = 2;
    } else if (isConfigError(error) || (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      console.error(redactUrl((error as Error).message));
      process.exitCode = 2;
    } else {
      console.error(redactUrl(error instanceof Error ? (error.stack ?? error.message) : String(error)));
      process.exitCode = 1;
    }
  } finally {
    await cleanup();
  }
}

/** A command's options, parsed by Node; a bad one is a usage error in Node's own wording ("Option '--html <value>' argument missing"). */
export function commandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * A path the user typed, from the folder they typed it in: `npm run` starts scripts in the
 * project's folder and leaves the user's in INIT_CWD. (The project's own `.local/` stays where it is.)
 */
export const userPath = (path: string): string => resolve(process.env.INIT_CWD ?? process.cwd(), path);
