/**
 * The README and docs/ cannot go stale silently: the README stays short, its
 * layout section describes exactly the repository's top level, its config
 * table names every top-level config key, and every relative link, anchor,
 * repository path and `npm run` script the pages mention exists.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { EnvironmentConfig } from "../../config/schema";

const ROOT = path.resolve(__dirname, "../..");
const README = path.join(ROOT, "README.md");
const DOCS = path.join(ROOT, "docs");
const MAX_README_LINES = 200;

/** Tracked top-level entries nobody needs explained: this file itself, npm's lockfile, git's ignore list. */
const UNDESCRIBED = new Set(["README.md", "package-lock.json", ".gitignore"]);

const read = (file: string) => readFileSync(file, "utf8");
const pages = () => [
  README,
  ...readdirSync(DOCS)
    .filter((f) => f.endsWith(".md"))
    .map((f) => path.join(DOCS, f)),
];
const rel = (file: string) => path.relative(ROOT, file);

/** The text of `## <title>` up to the next `## ` heading. */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`no "## ${title}" section`);
  const end = markdown.indexOf("\n## ", start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** Text outside fenced code blocks, with inline code spans kept (links are never inside them). */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, "");
}

/** Inline code spans outside fenced blocks. */
function codeSpans(markdown: string): string[] {
  return [...prose(markdown).matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? "");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = (m[1] ?? "")
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The entries a layout block describes: the first column, which may list several names separated by ", ". */
function layoutEntries(block: string): string[] {
  return block
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => (/^[^\s,]+(, [^\s,]+)*/.exec(line)?.[0] ?? line).split(", "));
}

function trackedTopLevel(): Set<string> {
  const files = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
  return new Set(files.map((f) => (f.includes("/") ? `${f.split("/")[0]}/` : f)));
}

function gitIgnoredNames(): Set<string> {
  return new Set(
    read(path.join(ROOT, ".gitignore"))
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#") && !l.includes("*"))
      .map((l) => l.replace(/^\//, "").replace(/\/$/, "")),
  );
}

describe("README.md", () => {
  const readme = read(README);

  it(`is at most ${MAX_README_LINES} lines`, () => {
    expect(readme.split("\n").length - (readme.endsWith("\n") ? 1 : 0)).toBeLessThanOrEqual(MAX_README_LINES);
  });

  it("gives the test command CI runs", () => {
    const ci = read(path.join(ROOT, ".ci/run"));
    const ciCommands = ci.split("\n").filter((l) => /^npm (test|run )/.test(l));
    expect(ciCommands.length).toBeGreaterThan(0);
    for (const command of ciCommands) expect(readme).toContain(command);
  });

  describe("Layout", () => {
    const block = /```\n([\s\S]*?)```/.exec(section(readme, "Layout"))?.[1] ?? "";
    const described = layoutEntries(block);
    const tracked = trackedTopLevel();
    const ignored = gitIgnoredNames();

    it("describes every tracked top-level folder and file", () => {
      const missing = [...tracked].filter((e) => !UNDESCRIBED.has(e) && !described.includes(e));
      expect(missing).toEqual([]);
    });

    it("describes only what exists: tracked entries, or output folders .gitignore names", () => {
      const stale = described.filter((e) => !tracked.has(e) && !ignored.has(e.replace(/\/$/, "")));
      expect(stale).toEqual([]);
    });

    it("describes each entry once", () => {
      expect(described.length).toBe(new Set(described).size);
    });
  });

  it("links every page of docs/, so none is orphaned", () => {
    const linked = new Set([...prose(readme).matchAll(/\]\((docs\/[^)#\s]+\.md)/g)].map((m) => m[1]));
    const docs = readdirSync(DOCS).filter((f) => f.endsWith(".md"));
    expect(docs.filter((f) => !linked.has(`docs/${f}`))).toEqual([]);
  });

  it("names every top-level key of the environment config, and only those", () => {
    const table = section(readme, "Configuration")
      .split("\n")
      .filter((l) => l.startsWith("| `"))
      .map((l) => l.split("|")[1] ?? "");
    const keys = table.flatMap((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]));
    expect([...keys].sort()).toEqual(Object.keys(EnvironmentConfig.shape).sort());
  });
});

describe.each(pages().map((f) => [rel(f), f] as const))("%s", (_name, file) => {
  const text = read(file);

  it("links only to files and headings that exist", () => {
    const broken: string[] = [];
    for (const m of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] ?? "";
      if (/^[a-z]+:/.test(target)) continue; // https:, mailto: and the like are not checked offline
      const [file_, anchor] = target.split("#") as [string, string | undefined];
      const dest = file_ === "" ? file : path.resolve(path.dirname(file), file_);
      if (!existsSync(dest)) broken.push(`${target}: no such file`);
      else if (anchor !== undefined && !anchors(read(dest)).has(anchor)) broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });

  it("names only repository paths that exist", () => {
    const topDirs = [...trackedTopLevel()].filter((e) => e.endsWith("/"));
    const paths = codeSpans(text)
      .filter((s) => /^[\w.-]+(\/[\w.-]+)*\/?$/.test(s) && s.includes("/"))
      .filter((s) => topDirs.some((d) => s.startsWith(d)));
    expect(paths.filter((p) => !existsSync(path.join(ROOT, p)))).toEqual([]);
  });

  it("names only npm scripts that package.json defines", () => {
    const scripts = Object.keys((JSON.parse(read(path.join(ROOT, "package.json"))) as { scripts: Record<string, string> }).scripts);
    const named = [...text.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1] ?? "");
    expect(named.filter((s) => !scripts.includes(s))).toEqual([]);
  });
});
