import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * TIM's own module graph, read from the sources: every static `import`/`export … from`,
 * side-effect `import "…"` and dynamic `import("…")` of a TIM module ("@/…" or relative).
 * Type-only imports (`import type`, `export type`) are left out unless asked for: TypeScript erases them,
 * so they cannot make a cycle at run time, but they still cross layers.
 */
export const ROOT = path.resolve(import.meta.dirname, "../..");
const SOURCE_DIRS = ["lib", "inngest", "server", "app", "scripts", "tara-stand-in", "test", "bench"];
const SKIP = new Set(["lib/generated"]);
const EXTENSIONS = [".ts", ".tsx", "/index.ts", "/index.tsx"];

const SPECIFIERS = [
  /(?:^|[;\s])import\s+(?!type\s)[^"'`;]*?\sfrom\s*["']([^"']+)["']/g,
  /(?:^|[;\s])export\s+(?!type\s)[^"'`;]*?\sfrom\s*["']([^"']+)["']/g,
  /(?:^|[;\s])import\s*["']([^"']+)["']/g,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
];
const TYPE_SPECIFIER = /(?:^|[;\s])(?:import|export)\s+type\s[^"'`;]*?\sfrom\s*["']([^"']+)["']/g;

function sourceFiles(dir: string): string[] {
  const rel = path.relative(ROOT, dir);
  if (SKIP.has(rel) || !existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [path.relative(ROOT, full)] : [];
  });
}

function resolve(from: string, spec: string): string | undefined {
  let base: string;
  if (spec.startsWith("@/")) base = spec.slice(2);
  else if (spec.startsWith(".")) base = path.join(path.dirname(from), spec);
  else return undefined;
  for (const candidate of [base, ...EXTENSIONS.map((e) => base + e)]) {
    const full = path.join(ROOT, candidate);
    if (existsSync(full) && statSync(full).isFile()) return path.normalize(candidate);
  }
  return undefined;
}

/** Comments are removed first so an example in a comment is not an import. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

export type ImportGraph = Map<string, Set<string>>;

/** The TIM modules `file` (path from the repository root) imports, given its text. */
export function importsOf(file: string, source: string, options: { types?: boolean } = {}): Set<string> {
  const text = withoutComments(source);
  const targets = new Set<string>();
  for (const re of options.types ? [...SPECIFIERS, TYPE_SPECIFIER] : SPECIFIERS) {
    for (const m of text.matchAll(re)) {
      const target = resolve(file, m[1]);
      if (target) targets.add(target);
    }
  }
  return targets;
}

export function importGraph(options: { types?: boolean } = {}): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of SOURCE_DIRS.flatMap((d) => sourceFiles(path.join(ROOT, d)))) {
    graph.set(file, importsOf(file, readFileSync(path.join(ROOT, file), "utf8"), options));
  }
  return graph;
}

/** Strongly connected components with more than one module (or a module importing itself): the cycles. */
export function cycles(graph: ImportGraph): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}
