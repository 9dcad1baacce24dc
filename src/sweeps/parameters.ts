/**
 * The parameters a notebook declares, read from its source text (never executed): its
 * `ds.parameter(name, default)` calls (and the `ds.param` alias, under whatever name
 * `dotscience` is imported as) and the assignments of its papermill-style `parameters` cell
 * (a code cell tagged `parameters`).
 */

/**
 * A Python literal read from the source: a JSON scalar or a list of them.
 */
export type Literal = string | number | boolean | null | Literal[];

/**
 * One parameter of the notebook.
 */
export interface INotebookParameter {
  /** its name */
  name: string;
  /** its default value, when the source gives it as a literal */
  default?: Literal;
  /** the default's source text (an expression that is not a literal is shown as written) */
  text: string;
  /** where it was found */
  origin: 'ds.parameter' | 'parameters cell';
  /** index of the cell it is declared in */
  cell: number;
}

type TokenKind = 'name' | 'number' | 'string' | 'op' | 'newline' | 'error';

interface IToken {
  kind: TokenKind;
  text: string;
  /** the decoded value of a string literal (null: an f-string or bytes, not a constant) */
  value?: string | null;
  /** column of the token's first character on its line */
  column: number;
}

const STRING_START = /^([rRbBuUfF]{0,2})('''|"""|'|")/;
const NUMBER =
  /^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][-+]?\d[\d_]*)?)[jJ]?/;
const NAME = /^[A-Za-z_\u00c0-\uffff][\w\u00c0-\uffff]*/;
const OPERATORS = [
  '**=',
  '//=',
  '->',
  ':=',
  '==',
  '!=',
  '<=',
  '>=',
  '**',
  '//',
  '+=',
  '-=',
  '*=',
  '/='
];

/**
 * Decode the body of a Python string literal (the common escapes; others kept as written).
 *
 * @param body the text between the quotes
 * @param raw whether the literal had an `r` prefix
 * @returns the string's value
 */
function unescape(body: string, raw: boolean): string {
  if (raw) {
    return body;
  }
  const simple: Record<string, string> = {
    n: '\n',
    t: '\t',
    r: '\r',
    '\\': '\\',
    "'": "'",
    '"': '"',
    '0': '\0',
    '\n': ''
  };
  return body.replace(
    /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[\s\S])/g,
    (whole, e: string) => {
      if (e.length > 1) {
        const code = parseInt(e.slice(1), 16);
        return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return simple[e] ?? whole;
    }
  );
}

/**
 * Split Python source into tokens: comments dropped, strings decoded, one `newline` token
 * at the end of each logical line (none inside brackets or after a backslash). Source that
 * Python could not parse this far (an unterminated string, an unclosed bracket) ends with an
 * `error` token.
 *
 * @param source the cell's text
 * @returns the tokens
 */
export function tokenize(source: string): IToken[] {
  const tokens: IToken[] = [];
  let depth = 0;
  let i = 0;
  let lineStart = 0;
  const push = (
    kind: TokenKind,
    text: string,
    at: number,
    value?: string | null
  ) => tokens.push({ kind, text, column: at - lineStart, value });
  while (i < source.length) {
    const c = source[i];
    const rest = source.slice(i, i + 4);
    if (c === '\n') {
      if (
        depth === 0 &&
        tokens.length &&
        tokens[tokens.length - 1].kind !== 'newline'
      ) {
        push('newline', '\n', i);
      }
      i++;
      lineStart = i;
      continue;
    }
    if (c === '\\' && source[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < source.length && source[i] !== '\n') {
        i++;
      }
      continue;
    }
    const str = STRING_START.exec(source.slice(i, i + 5));
    if (str && (str[1] === '' || /^[rRbBuUfF]{1,2}$/.test(str[1]))) {
      const prefix = str[1].toLowerCase();
      const quote = str[2];
      const start = i;
      let j = i + str[0].length;
      let closed = false;
      while (j < source.length) {
        if (source[j] === '\\') {
          j += 2;
          continue;
        }
        if (source.startsWith(quote, j)) {
          closed = true;
          break;
        }
        if (quote.length === 1 && source[j] === '\n') {
          break;
        }
        j++;
      }
      const body = source.slice(i + str[0].length, Math.min(j, source.length));
      const end = closed ? j + quote.length : j;
      if (!closed) {
        push('error', source.slice(start, end), start);
        return tokens;
      }
      const constant = !prefix.includes('f') && !prefix.includes('b');
      push(
        'string',
        source.slice(start, end),
        start,
        constant ? unescape(body, prefix.includes('r')) : null
      );
      // a triple-quoted string may span lines: the next line starts after its last newline
      const inside = source.slice(start, end).lastIndexOf('\n');
      if (inside >= 0) {
        lineStart = start + inside + 1;
      }
      i = end;
      continue;
    }
    const name = NAME.exec(source.slice(i, i + 200));
    if (name) {
      push('name', name[0], i);
      i += name[0].length;
      continue;
    }
    const num = NUMBER.exec(source.slice(i, i + 100));
    if (num && (c !== '.' || /\d/.test(source[i + 1] ?? ''))) {
      push('number', num[0], i);
      i += num[0].length;
      continue;
    }
    const op = OPERATORS.find(o => rest.startsWith(o)) ?? c;
    if ('([{'.includes(op)) {
      depth++;
    } else if (')]}'.includes(op)) {
      depth = Math.max(0, depth - 1);
    }
    push('op', op, i);
    i += op.length;
  }
  if (depth > 0) {
    push('error', '', i);
  } else if (tokens.length && tokens[tokens.length - 1].kind !== 'newline') {
    push('newline', '\n', i);
  }
  return tokens;
}

/**
 * The value of a number token.
 *
 * @param text e.g. `1_000`, `0.5`, `1e-3`, `0x10`
 * @returns the number, or undefined for a complex number
 */
function numberValue(text: string): number | undefined {
  if (/[jJ]$/.test(text)) {
    return undefined;
  }
  const t = text.replace(/_/g, '');
  if (/^0[xXoObB]/.test(t)) {
    return Number(t.toLowerCase());
  }
  return Number(t);
}

/**
 * Read one literal from the tokens starting at `at`.
 *
 * @param tokens the tokens
 * @param at where the literal starts
 * @returns the value and the index after it, or null when the tokens there are not a literal
 */
function literalAt(
  tokens: IToken[],
  at: number
): { value: Literal; next: number } | null {
  const t = tokens[at];
  if (!t) {
    return null;
  }
  if (t.kind === 'op' && (t.text === '-' || t.text === '+')) {
    const inner = literalAt(tokens, at + 1);
    if (inner && typeof inner.value === 'number') {
      return {
        value: t.text === '-' ? -inner.value : inner.value,
        next: inner.next
      };
    }
    return null;
  }
  if (t.kind === 'number') {
    const value = numberValue(t.text);
    return value === undefined || !Number.isFinite(value)
      ? null
      : { value, next: at + 1 };
  }
  if (t.kind === 'string') {
    if (t.value === null || t.value === undefined) {
      return null;
    }
    // adjacent literals concatenate
    let value = t.value;
    let next = at + 1;
    while (tokens[next]?.kind === 'string') {
      const more = tokens[next].value;
      if (more === null || more === undefined) {
        return null;
      }
      value += more;
      next++;
    }
    return { value, next };
  }
  if (t.kind === 'name') {
    const constants: Record<string, Literal> = {
      True: true,
      False: false,
      None: null
    };
    return t.text in constants
      ? { value: constants[t.text], next: at + 1 }
      : null;
  }
  if (t.kind === 'op' && (t.text === '[' || t.text === '(')) {
    const close = t.text === '[' ? ']' : ')';
    const items: Literal[] = [];
    let i = at + 1;
    let commas = 0;
    while (
      tokens[i] &&
      !(tokens[i].kind === 'op' && tokens[i].text === close)
    ) {
      const item = literalAt(tokens, i);
      if (!item) {
        return null;
      }
      items.push(item.value);
      i = item.next;
      if (tokens[i]?.kind === 'op' && tokens[i].text === ',') {
        commas++;
        i++;
      } else if (!(tokens[i]?.kind === 'op' && tokens[i].text === close)) {
        return null;
      }
    }
    if (!tokens[i]) {
      return null;
    }
    // `(x)` is x itself, not a tuple
    if (close === ')' && items.length === 1 && commas === 0) {
      return { value: items[0], next: i + 1 };
    }
    return { value: items, next: i + 1 };
  }
  return null;
}

/**
 * The source text of tokens `from` (inclusive) to `to` (exclusive), spaced simply.
 *
 * @param tokens the tokens
 * @param from first token
 * @param to after the last
 * @returns the text
 */
function textOf(tokens: IToken[], from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const t = tokens[i];
    const tight =
      i === from ||
      (t.kind === 'op' && ',)]}.:'.includes(t.text)) ||
      (tokens[i - 1].kind === 'op' && '([{.'.includes(tokens[i - 1].text)) ||
      (t.kind === 'op' &&
        '([.'.includes(t.text) &&
        tokens[i - 1].kind === 'name');
    out += (tight ? '' : ' ') + t.text;
  }
  return out;
}

/**
 * The end of the expression starting at `at`: the first `,` or closing bracket at depth 0,
 * or the end of the logical line.
 *
 * @param tokens the tokens
 * @param at where the expression starts
 * @returns the index after it
 */
function expressionEnd(tokens: IToken[], at: number): number {
  let depth = 0;
  let i = at;
  for (; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'newline') {
      break;
    }
    if (t.kind === 'op' && '([{'.includes(t.text)) {
      depth++;
    } else if (t.kind === 'op' && ')]}'.includes(t.text)) {
      if (depth === 0) {
        break;
      }
      depth--;
    } else if (t.kind === 'op' && t.text === ',' && depth === 0) {
      break;
    }
  }
  return i;
}

/**
 * A value and its text, from the expression at `at`.
 */
function valueAt(
  tokens: IToken[],
  at: number
): { default?: Literal; text: string; next: number } {
  const end = expressionEnd(tokens, at);
  const lit = literalAt(tokens, at);
  const text = textOf(tokens, at, end);
  return lit && lit.next === end
    ? { default: lit.value, text, next: end }
    : { text, next: end };
}

/**
 * The names `dotscience`'s parameter function is reachable by in a notebook: modules
 * (`import dotscience as ds`: `ds.parameter`) and functions (`from dotscience import param`).
 */
interface IAliases {
  modules: Set<string>;
  functions: Set<string>;
}

const FUNCTIONS = new Set(['parameter', 'param']);

/**
 * Record the import statements of a cell's tokens.
 *
 * @param tokens the cell's tokens
 * @param aliases updated in place
 */
function readImports(tokens: IToken[], aliases: IAliases): void {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const statementStart =
      i === 0 || tokens[i - 1].kind === 'newline' || tokens[i - 1].text === ';';
    if (!statementStart || t.kind !== 'name') {
      continue;
    }
    if (t.text === 'import') {
      // import a, dotscience as ds, dotscience
      let j = i + 1;
      while (
        tokens[j] &&
        tokens[j].kind !== 'newline' &&
        tokens[j].text !== ';'
      ) {
        if (
          tokens[j].kind === 'name' &&
          tokens[j].text === 'dotscience' &&
          tokens[j + 1]?.text !== '.'
        ) {
          if (tokens[j + 1]?.text === 'as' && tokens[j + 2]?.kind === 'name') {
            aliases.modules.add(tokens[j + 2].text);
            j += 3;
            continue;
          }
          aliases.modules.add('dotscience');
        }
        j++;
      }
    } else if (
      t.text === 'from' &&
      tokens[i + 1]?.text === 'dotscience' &&
      tokens[i + 2]?.text === 'import'
    ) {
      let j = i + 3;
      while (
        tokens[j] &&
        tokens[j].kind !== 'newline' &&
        tokens[j].text !== ';'
      ) {
        const n = tokens[j];
        if (
          n.kind === 'name' &&
          FUNCTIONS.has(n.text) &&
          tokens[j - 1]?.text !== 'as'
        ) {
          if (tokens[j + 1]?.text === 'as' && tokens[j + 2]?.kind === 'name') {
            aliases.functions.add(tokens[j + 2].text);
            j += 3;
            continue;
          }
          aliases.functions.add(n.text);
        }
        j++;
      }
    }
  }
}

/**
 * The `parameter(...)` calls of a cell's tokens.
 *
 * @param tokens the cell's tokens
 * @param aliases how dotscience is imported
 * @param cell the cell's index
 * @returns the parameters whose name is a string literal, in source order
 */
function readCalls(
  tokens: IToken[],
  aliases: IAliases,
  cell: number
): INotebookParameter[] {
  const found: INotebookParameter[] = [];
  for (let i = 0; i < tokens.length; i++) {
    let open = -1;
    const t = tokens[i];
    if (
      t.kind === 'name' &&
      aliases.modules.has(t.text) &&
      tokens[i + 1]?.text === '.' &&
      FUNCTIONS.has(tokens[i + 2]?.text) &&
      tokens[i + 3]?.text === '(' &&
      tokens[i - 1]?.text !== '.'
    ) {
      open = i + 3;
    } else if (
      t.kind === 'name' &&
      aliases.functions.has(t.text) &&
      tokens[i + 1]?.text === '(' &&
      tokens[i - 1]?.text !== '.' &&
      tokens[i - 1]?.text !== 'def'
    ) {
      open = i + 1;
    }
    if (open < 0) {
      continue;
    }
    // arguments: positional (label, value) or keywords label=, value=
    const positional: {
      default?: Literal;
      text: string;
      name?: string | null;
    }[] = [];
    const keywords: Record<
      string,
      { default?: Literal; text: string; name?: string | null }
    > = {};
    let j = open + 1;
    while (
      tokens[j] &&
      tokens[j].text !== ')' &&
      tokens[j].kind !== 'newline'
    ) {
      let keyword: string | null = null;
      if (tokens[j].kind === 'name' && tokens[j + 1]?.text === '=') {
        keyword = tokens[j].text;
        j += 2;
      }
      const start = j;
      const v = valueAt(tokens, j);
      const name =
        tokens[start]?.kind === 'string' && typeof v.default === 'string'
          ? v.default
          : null;
      const arg = { default: v.default, text: v.text, name };
      if (keyword) {
        keywords[keyword] = arg;
      } else {
        positional.push(arg);
      }
      j = v.next;
      if (tokens[j]?.text === ',') {
        j++;
      }
    }
    const label = keywords.label ?? positional[0];
    const value = keywords.value ?? keywords.default ?? positional[1];
    if (!label?.name) {
      continue;
    }
    const p: INotebookParameter = {
      name: label.name,
      text: value?.text ?? '',
      origin: 'ds.parameter',
      cell
    };
    if (value && value.default !== undefined) {
      p.default = value.default;
    }
    found.push(p);
    i = j;
  }
  return found;
}

/**
 * The top-level assignments of a papermill `parameters` cell (`name = value`, optionally
 * annotated: `name: float = value`).
 *
 * @param tokens the cell's tokens
 * @param cell the cell's index
 * @returns the parameters, in source order
 */
function readAssignments(tokens: IToken[], cell: number): INotebookParameter[] {
  const found: INotebookParameter[] = [];
  let start = 0;
  while (start < tokens.length) {
    let end = start;
    while (end < tokens.length && tokens[end].kind !== 'newline') {
      end++;
    }
    const t = tokens[start];
    if (t && t.kind === 'name' && t.column === 0) {
      let eq = start + 1;
      if (tokens[eq]?.text === ':') {
        // an annotation: skip to the `=`
        while (eq < end && tokens[eq].text !== '=') {
          eq++;
        }
      }
      if (eq < end && tokens[eq].text === '=' && tokens[eq].kind === 'op') {
        const v = valueAt(tokens, eq + 1);
        if (v.next === end) {
          const p: INotebookParameter = {
            name: t.text,
            text: v.text,
            origin: 'parameters cell',
            cell
          };
          if (v.default !== undefined) {
            p.default = v.default;
          }
          found.push(p);
        }
      }
    }
    start = end + 1;
  }
  return found;
}

/**
 * The source of a notebook cell as one string (nbformat keeps it as a string or a list of
 * lines).
 *
 * @param source the cell's `source`
 * @returns the text
 */
function sourceText(source: unknown): string {
  if (typeof source === 'string') {
    return source;
  }
  if (Array.isArray(source)) {
    return source.filter(s => typeof s === 'string').join('');
  }
  return '';
}

/**
 * The parameters a notebook declares, read from its JSON (nbformat 4). A name given both
 * in the parameters cell and to `ds.parameter` is listed once, where it first appears.
 *
 * @param notebook the notebook's content (anything: a malformed one has no parameters)
 * @returns the parameters in the order they first appear
 */
export function notebookParameters(notebook: unknown): INotebookParameter[] {
  const cells =
    notebook &&
    typeof notebook === 'object' &&
    Array.isArray((notebook as any).cells)
      ? ((notebook as any).cells as unknown[])
      : [];
  const aliases: IAliases = { modules: new Set(), functions: new Set() };
  const found: INotebookParameter[] = [];
  const seen = new Set<string>();
  const add = (p: INotebookParameter) => {
    if (!seen.has(p.name)) {
      seen.add(p.name);
      found.push(p);
    }
  };
  cells.forEach((cell, index) => {
    if (
      !cell ||
      typeof cell !== 'object' ||
      (cell as any).cell_type !== 'code'
    ) {
      return;
    }
    const text = sourceText((cell as any).source);
    // IPython magics and shell escapes are not Python
    const python = text.replace(/^[ \t]*[%!].*$/gm, '');
    const tokens = tokenize(python);
    if (tokens.some(t => t.kind === 'error')) {
      // Python would refuse the cell: it declares nothing
      return;
    }
    const tags = (cell as any).metadata?.tags;
    if (Array.isArray(tags) && tags.includes('parameters')) {
      readAssignments(tokens, index).forEach(add);
    }
    readImports(tokens, aliases);
    readCalls(tokens, aliases, index).forEach(add);
  });
  return found;
}

/**
 * A Python literal written as text (`0.5`, `'adam'`, `[64, 32]`, `True`).
 *
 * @param text the text
 * @returns its value, or undefined when the text is not exactly one literal
 */
export function parseLiteral(text: string): Literal | undefined {
  if (text.includes('\n')) {
    return undefined;
  }
  const tokens = tokenize(text);
  if (tokens.some(t => t.kind === 'error')) {
    return undefined;
  }
  const lit = literalAt(tokens, 0);
  return lit &&
    tokens[lit.next]?.kind === 'newline' &&
    lit.next === tokens.length - 1
    ? lit.value
    : undefined;
}

/**
 * The code of a notebook: each code cell's source, in order (to tell whether the notebook in
 * the browser runs the same code as its saved file; outputs and metadata do not count).
 *
 * @param notebook the notebook's content
 * @returns the sources
 */
export function codeSources(notebook: unknown): string[] {
  const cells =
    notebook &&
    typeof notebook === 'object' &&
    Array.isArray((notebook as any).cells)
      ? ((notebook as any).cells as unknown[])
      : [];
  return cells
    .filter(c => c && typeof c === 'object' && (c as any).cell_type === 'code')
    .map(c => sourceText((c as any).source));
}
