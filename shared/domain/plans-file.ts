import { LineCounter, parseDocument, isMap, isNode, isScalar, visit, type Document, type YAMLError } from 'yaml';
import { PlanValidationError } from './errors.js';
import { type PlansConfig } from './plan-schema.js';
import { DEFAULT_PLANS_FILE, plansFromData } from './plans-data.js';

export { DEFAULT_PLANS_FILE } from './plans-data.js';

function locate(document: Document, lineCounter: LineCounter, path: (string | number)[]): { line?: number; column?: number } {
  // Walk up the path until a node exists: a missing field points at its parent.
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = document.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) {
      const value = lineCounter.linePos(node.range[0]);
      // A block mapping or list starts on the line after its key: point at the key, where the field is written.
      const parent = depth > 0 ? document.getIn(path.slice(0, depth - 1), true) : undefined;
      const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && item.key.value === path[depth - 1]) : undefined;
      const key = isScalar(pair?.key) && pair.key.range ? lineCounter.linePos(pair.key.range[0]) : undefined;
      const { line, col } = key && key.line < value.line ? key : value;
      return { line, column: col };
    }
  }
  return {};
}

/** The library's message, naming the key for a duplicate key (its message alone does not say which). */
function describeYamlError(error: YAMLError, document: Document): string {
  const message = error.message.split('\n')[0] ?? '';
  if (error.code !== 'DUPLICATE_KEY') return `YAML syntax error: ${message}`;
  let key: unknown;
  visit(document, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === error.pos[0]) {
        key = pair.key.value;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return key === undefined
    ? `YAML syntax error: ${message}`
    : `YAML syntax error: the key "${String(key)}" appears twice in the same mapping; give each field once`;
}

/**
 * Parses and validates the plans file text. Throws PlanValidationError listing every problem with
 * file, line, plan id, field path and what is allowed; the caller must then create and delete nothing.
 */
export function parsePlansFile(source: string, file = DEFAULT_PLANS_FILE): PlansConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length) {
    throw new PlanValidationError(
      document.errors.map((error) => {
        // With prettyErrors off the library leaves linePos unset: compute the position from the offset.
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { file, line, column: col, path: '', message: describeYamlError(error, document) };
      }),
    );
  }
  return plansFromData(document.toJS(), file, (path) => locate(document, lineCounter, path));
}
