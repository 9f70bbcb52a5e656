import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** A function body's length in lines, with where it is: `file:name`. */
export interface FunctionLength {
  readonly key: string;
  readonly lines: number;
}

const FUNCTION_KINDS = new Set([
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.ArrowFunction,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.Constructor,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
]);

/** Every `.ts` file under `dir` (recursively), relative to `root`, without declaration files and node_modules. */
export function sourceFiles(root: string, dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') found.push(...sourceFiles(root, relative));
    else if (entry.isFile() && relative.endsWith('.ts') && !relative.endsWith('.d.ts')) found.push(relative);
  }
  return found;
}

/** The name a reader would look for: the declaration's, the variable's or property's it is assigned to, else `<anonymous@line>`. */
function nameOf(node: ts.Node, file: ts.SourceFile): string {
  const named = node as { name?: ts.Node };
  if (ts.isConstructorDeclaration(node)) return `${nameOf(node.parent, file)}.constructor`;
  if (named.name !== undefined) {
    const own = named.name.getText(file);
    return ts.isClassLike(node.parent) ? `${nameOf(node.parent, file)}.${own}` : own;
  }
  const parent = node.parent;
  if (parent !== undefined && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))) {
    return parent.name.getText(file);
  }
  const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return `<anonymous@${line + 1}>`;
}

/** Lengths (first to last line of the body, inclusive) of every function in `source`, nested ones included. */
export function functionLengths(fileName: string, source: string): FunctionLength[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const lengths: FunctionLength[] = [];
  const visit = (node: ts.Node): void => {
    const body = (node as { body?: ts.Node }).body;
    if (FUNCTION_KINDS.has(node.kind) && body !== undefined) {
      const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const last = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      lengths.push({ key: `${fileName}:${nameOf(node, file)}`, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return lengths;
}

/** Every function in the `dirs` of `root`. */
export function allFunctionLengths(root: string, dirs: readonly string[]): FunctionLength[] {
  return dirs.flatMap((dir) =>
    sourceFiles(root, dir).flatMap((file) => functionLengths(file, readFileSync(path.join(root, file), 'utf8'))),
  );
}
