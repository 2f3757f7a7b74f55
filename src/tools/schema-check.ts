import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type SchemaReport, diffSdl, formatReport } from './schema-diff.js';

const USAGE = `Usage: npm run schema:check [-- --base <git-ref>] [-- --old <file> --new <file>]

Diffs the schemas the code prints (client schema and subgraph SDL) against the committed
schema/schema.graphql and schema/subgraph.graphql, or against those files at <git-ref>
(e.g. origin/main), or two SDL files against each other. Exits 1 on breaking changes,
2 on a usage or git error, 0 otherwise (dangerous changes are listed, not fatal).`;

/** The checked-in artifacts and how the code prints each. */
const ARTIFACTS = [
  { file: 'schema/schema.graphql', print: async () => (await import('../schema/print.js')).printClientSchema() },
  { file: 'schema/subgraph.graphql', print: async () => (await import('../schema/print.js')).printSubgraphSchemaFile() },
] as const;

export interface CheckIO {
  /** Project root: where `schema/` and the git checkout are. @default process.cwd() */
  cwd?: string;
  out?: (text: string) => void;
}

/** Runs the check and returns the exit code (see USAGE). */
export async function runSchemaCheck(argv: readonly string[], io: CheckIO = {}): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const out = io.out ?? ((text: string) => console.log(text));
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      options: { base: { type: 'string' }, old: { type: 'string' }, new: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }).values;
  } catch (error) {
    out(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    out(USAGE);
    return 0;
  }
  if ((args.old === undefined) !== (args.new === undefined) || (args.old !== undefined && args.base !== undefined)) {
    out(`--old and --new go together, without --base.\n\n${USAGE}`);
    return 2;
  }

  const reports: SchemaReport[] = [];
  try {
    if (args.old !== undefined && args.new !== undefined) {
      const read = (file: string) => readFileSync(resolve(cwd, file), 'utf8');
      reports.push(await diffSdl(`${args.old} -> ${args.new}`, read(args.old), read(args.new)));
      out(formatReport(reports[0]!));
    } else {
      for (const artifact of ARTIFACTS) {
        const baseline =
          args.base === undefined ? readFileSync(resolve(cwd, artifact.file), 'utf8') : gitShow(cwd, args.base, artifact.file);
        if (baseline === null) {
          out(`${artifact.file}: not in ${args.base}, nothing to compare against.`);
          continue;
        }
        const label = `${artifact.file} (${args.base ?? 'committed'} -> code)`;
        const report = await diffSdl(label, baseline, await artifact.print());
        reports.push(report);
        out(formatReport(report));
      }
    }
  } catch (error) {
    out(`schema:check failed: ${(error as Error).message}`);
    return 2;
  }

  return reports.some((report) => report.breaking.length > 0) ? 1 : 0;
}

/** The file at a git ref, or null when the ref exists but the file does not (e.g. a new artifact). */
function gitShow(cwd: string, ref: string, file: string): string | null {
  try {
    execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd, stdio: 'ignore' });
  } catch {
    throw new Error(`${JSON.stringify(ref)} is not a commit in ${cwd} (in CI, fetch it first: git fetch origin main).`);
  }
  try {
    return execFileSync('git', ['show', `${ref}:./${file}`], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runSchemaCheck(process.argv.slice(2));
}
