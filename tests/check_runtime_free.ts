/**
 * Keeps `mod.ts`, `core/`, `zmtp/` and `sockets/` runtime-free (DESIGN.md: only `adapters/`
 * touches a runtime). The type-check with no runtime types (`tsconfig.core.json`) catches what
 * the code *uses*; this scanner catches what the type-check cannot: a runtime global reached
 * through `globalThis`, an `any`, or a `node:` import in a file the compiler resolved elsewhere.
 *
 * It strips comments (so a comment may explain why Deno is not used) but keeps strings, since
 * `from "node:net"` and `globalThis["Deno"]` live in strings.
 *
 * Run alone: `node tests/check_runtime_free.ts` (exit 1 and `file:line:col` per finding).
 *
 * @module
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** One forbidden use: where it is and what matched. */
export interface RuntimeFinding {
  /** Path relative to the scanned root, `/`-separated. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** The text that matched, e.g. `process` or `from "node:`. */
  readonly match: string;
  /** The offending source line, trimmed. */
  readonly source: string;
}

/** The runtime-free places, relative to the repository root. */
export const RUNTIME_FREE_PATHS: readonly string[] = ["mod.ts", "core", "zmtp", "sockets"];

const FORBIDDEN: readonly RegExp[] = [
  /\bDeno\b/g,
  /\bBun\b/g,
  /\bprocess\b/g,
  /\bBuffer\b/g,
  /\bNodeJS\b/g, // the @types/node namespace, e.g. NodeJS.Timeout
  /\bfrom\s*["']node:/g,
  /\bimport\s*\(\s*["']node:/g,
  /\bimport\s*["']node:/g, // side-effect import
  /\brequire\s*\(/g,
];

/**
 * Lists the `.ts` files of the runtime-free places under `root` (test files excluded: they run
 * under a runtime by definition), sorted for stable output.
 */
export function runtimeFreeFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (path: string): void => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return; // a place that does not exist yet has nothing to check
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if (path.endsWith(".ts") && !path.endsWith(".test.ts")) {
      files.push(path);
    }
  };
  for (const place of RUNTIME_FREE_PATHS) walk(join(root, place));
  return files.sort();
}

/** Scans the runtime-free places under `root` and returns every forbidden use. */
export function checkRuntimeFree(root: string): RuntimeFinding[] {
  const findings: RuntimeFinding[] = [];
  for (const path of runtimeFreeFiles(root)) {
    const file = relative(root, path).split("\\").join("/");
    findings.push(...scanSource(file, readFileSync(path, "utf8")));
  }
  return findings;
}

/** Scans one file's text; `file` is only used to label the findings. */
export function scanSource(file: string, text: string): RuntimeFinding[] {
  const code = stripComments(text).split("\n");
  const original = text.split("\n");
  const findings: RuntimeFinding[] = [];
  code.forEach((line, index) => {
    for (const pattern of FORBIDDEN) {
      pattern.lastIndex = 0;
      for (const match of line.matchAll(pattern)) {
        findings.push({
          file,
          line: index + 1,
          column: (match.index ?? 0) + 1,
          match: match[0],
          source: original[index].trim(),
        });
      }
    }
  });
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}

// Keywords after which a `/` starts a regular expression rather than a division.
const REGEX_AFTER_WORDS = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

/**
 * Replaces comments with spaces, keeping newlines (so line and column numbers still hold) and
 * string, template and regex literals intact. A small lexer rather than a regex, because `//`
 * inside `"tcp://..."` or a regex literal is not a comment.
 */
export function stripComments(text: string): string {
  let out = "";
  let i = 0;
  // One entry per open template literal: the `{` depth at which its `${` was opened.
  const templates: number[] = [];
  let braceDepth = 0;
  // The last significant character or word, to tell a regex from a division.
  let last = "";

  const blank = (from: number, to: number): void => {
    out += text.slice(from, to).replace(/[^\n]/g, " ");
  };

  const readString = (quote: string): void => {
    const start = i++;
    while (i < text.length && text[i] !== quote && text[i] !== "\n") {
      i += text[i] === "\\" ? 2 : 1;
    }
    i++;
    out += text.slice(start, i);
  };

  // Reads template text from i (just past "`" or "}") to the closing "`" or a "${".
  const readTemplateText = (): void => {
    const start = i;
    while (i < text.length) {
      if (text[i] === "\\") i += 2;
      else if (text[i] === "`") {
        i++;
        out += text.slice(start, i);
        last = "`";
        return;
      } else if (text[i] === "$" && text[i + 1] === "{") {
        i += 2;
        out += text.slice(start, i);
        templates.push(braceDepth);
        braceDepth++;
        last = "{";
        return;
      } else i++;
    }
    out += text.slice(start);
  };

  const readRegex = (): void => {
    const start = i++;
    let inClass = false;
    while (i < text.length && text[i] !== "\n") {
      const c = text[i];
      if (c === "\\") i += 2;
      else {
        i++;
        if (c === "[") inClass = true;
        else if (c === "]") inClass = false;
        else if (c === "/" && !inClass) break;
      }
    }
    while (i < text.length && /[a-z]/i.test(text[i])) i++; // flags
    out += text.slice(start, i);
    last = "regex";
  };

  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "/" && next === "/") {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      readString(c);
      last = "string";
    } else if (c === "`") {
      i++;
      out += "`";
      readTemplateText();
    } else if (c === "/") {
      const regexAllowed = last === "" || /^[(,=:[!&|?{};+\-*%<>~^]$/.test(last) ||
        REGEX_AFTER_WORDS.has(last);
      if (regexAllowed) readRegex();
      else {
        out += c;
        i++;
        last = c;
      }
    } else if (c === "{") {
      braceDepth++;
      out += c;
      i++;
      last = c;
    } else if (c === "}") {
      braceDepth--;
      out += c;
      i++;
      if (templates.length > 0 && templates[templates.length - 1] === braceDepth) {
        templates.pop();
        readTemplateText();
      } else last = c;
    } else if (/[A-Za-z_$0-9]/.test(c)) {
      const start = i;
      while (i < text.length && /[A-Za-z_$0-9]/.test(text[i])) i++;
      last = text.slice(start, i);
      out += last;
    } else {
      out += c;
      i++;
      if (!/\s/.test(c)) last = c;
    }
  }
  return out;
}

if (import.meta.main) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const findings = checkRuntimeFree(root);
  for (const f of findings) {
    console.log(`${f.file}:${f.line}:${f.column}: forbidden "${f.match}" in: ${f.source}`);
  }
  const files = runtimeFreeFiles(root).length;
  console.log(
    findings.length === 0
      ? `runtime-free: ${files} files clean`
      : `runtime-free: ${findings.length} forbidden uses in ${files} files`,
  );
  process.exitCode = findings.length === 0 ? 0 : 1;
}
