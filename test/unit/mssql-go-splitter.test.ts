import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { splitGoBatches, splitScript } from '../../src/dialect/mssql/go-splitter.js';
import { mssqlAdapter } from '../../src/dialect/mssql/index.js';

const sqls = (script: string) => splitGoBatches(script).map((b) => b.sql.trim());

describe('GO splitter: the rules', () => {
  test('GO in any case, with spaces or tabs around, on its own line', () => {
    assert.deepEqual(sqls('select 1\ngo\nselect 2\n  GO  \nselect 3\n\tGo\t\nselect 4'), [
      'select 1',
      'select 2',
      'select 3',
      'select 4',
    ]);
  });

  test('GO n repeats the batch before it n times', () => {
    const batches = splitGoBatches('insert into t default values\nGO 5\nselect 1');
    assert.deepEqual(
      batches.map((b) => [b.sql.trim(), b.repeat]),
      [
        ['insert into t default values', 5],
        ['select 1', 1],
      ],
    );
    assert.deepEqual(splitScript('insert into t default values\nGO 3\nselect 1'), [
      'insert into t default values\n',
      'insert into t default values\n',
      'insert into t default values\n',
      'select 1',
    ]);
  });

  test('GO 0 and absurd counts are errors naming the line', () => {
    assert.throws(() => splitGoBatches('select 1\nselect 2\nGO 0\n'), /line 3: GO 0/);
    assert.throws(() => splitGoBatches('select 1\nGO 99999999999\n'), /line 2/);
  });

  test('a trailing -- comment after GO is allowed; GO after -- is a comment', () => {
    assert.deepEqual(sqls('select 1\nGO -- end of part one\nselect 2\n-- GO\nselect 3'), [
      'select 1',
      'select 2\n-- GO\nselect 3',
    ]);
    assert.deepEqual(
      splitGoBatches('select 1\nGO 2 -- twice').map((b) => b.repeat),
      [2],
    );
  });

  test('GOTO, GO; and GO with other text are not separators', () => {
    const script = 'GOTO done\nGO;\nGO x\ngone:\ndone: select 1';
    assert.deepEqual(sqls(script), [script]);
  });

  test('GO inside a string literal spanning lines is text', () => {
    const script = "insert into t values ('line one\nGO\nline ''three''')\nGO\nselect N'x\ngo\ny'";
    assert.deepEqual(sqls(script), [
      "insert into t values ('line one\nGO\nline ''three''')",
      "select N'x\ngo\ny'",
    ]);
  });

  test('GO inside a bracketed identifier (with ]] escapes) or a double-quoted identifier is text', () => {
    assert.deepEqual(sqls('select 1 as [a]]\nGO\nb]\nGO\nselect 2 as "x""\nGO\ny"'), [
      'select 1 as [a]]\nGO\nb]',
      'select 2 as "x""\nGO\ny"',
    ]);
  });

  test('GO inside a block comment is text, nested comments included', () => {
    const script = 'select 1 /* outer\n/* inner */\nGO\nstill comment */\nGO\nselect 2';
    assert.deepEqual(sqls(script), ['select 1 /* outer\n/* inner */\nGO\nstill comment */', 'select 2']);
  });

  test('a quote inside a comment does not open a string', () => {
    assert.deepEqual(sqls("select 1 -- don't\nGO\nselect 2 /* it's */\nGO\nselect 3"), [
      "select 1 -- don't",
      "select 2 /* it's */",
      'select 3',
    ]);
  });

  test('CRLF line endings', () => {
    assert.deepEqual(sqls('select 1\r\nGO\r\nselect 2\r\n'), ['select 1', 'select 2']);
  });

  test('empty and comment-only batches are dropped; GO at the very start or end is fine', () => {
    assert.deepEqual(
      sqls('GO\nselect 1\nGO\nGO\n  \nGO\n-- only a comment\n/* and another */\nGO\nselect 2\nGO'),
      ['select 1', 'select 2'],
    );
    assert.deepEqual(sqls(''), []);
    assert.deepEqual(splitScript('GO\n\nGO 3\n'), []);
  });

  test('batches are verbatim slices and know the script line they start on', () => {
    const script = 'select 1\nGO\n\nselect 2\nselect 3\nGO\nselect 4';
    const batches = splitGoBatches(script);
    for (const b of batches) assert.equal(script.slice(b.start, b.end), b.sql);
    assert.deepEqual(
      batches.map((b) => b.startLine),
      [1, 3, 7],
    );
  });

  test('the adapter splits on GO', () => {
    assert.deepEqual(mssqlAdapter.splitScript('select 1\nGO 2\nselect 2'), [
      'select 1\n',
      'select 1\n',
      'select 2',
    ]);
  });
});

// A model of scripts: segments of tokens, with tokens that may hide "GO" lines, joined by separator lines.
const hostileChar = fc.constantFrom(
  'a',
  'GO',
  'go',
  '\n',
  "'",
  '[',
  ']',
  '"',
  '-',
  '/',
  '*',
  ' ',
  '\t',
  '\r',
  ';',
);
const hostileText = fc.array(hostileChar, { maxLength: 12 }).map((parts) => parts.join(''));

const codeWord = fc.constantFrom(
  'select',
  '1',
  'GOTO',
  'ago',
  'go_',
  'GO;',
  'GO 5x',
  'N',
  ',',
  '(',
  ')',
  '@go',
  '#go',
);
const stringLiteral = hostileText.map((t) => `N'${t.replace(/'/g, "''")}'`);
const bracketIdent = hostileText.map((t) => `[${t.replace(/]/g, ']]')}]`);
const quotedIdent = hostileText.map((t) => `"${t.replace(/"/g, '""')}"`);
const lineComment = hostileText.map((t) => `-- ${t.replace(/[\r\n]/g, ' ')}`);
const blockComment = fc
  .tuple(hostileText, fc.boolean())
  .filter(([t]) => !t.includes('/*') && !t.includes('*/') && !t.endsWith('/') && !t.startsWith('*'))
  .map(([t, nested]) => (nested ? `/* ${t} /* \nGO\n */ ${t} */` : `/*${t}*/`));

interface Token {
  text: string;
  code: boolean;
  endsLine: boolean;
}
const token: fc.Arbitrary<Token> = fc.oneof(
  codeWord.map((text) => ({ text, code: true, endsLine: false })),
  stringLiteral.map((text) => ({ text, code: true, endsLine: false })),
  bracketIdent.map((text) => ({ text, code: true, endsLine: false })),
  quotedIdent.map((text) => ({ text, code: true, endsLine: false })),
  lineComment.map((text) => ({ text, code: false, endsLine: true })),
  blockComment.map((text) => ({ text, code: false, endsLine: false })),
);

/** Tokens joined by a space or a newline; a line comment always ends its line (or it would eat the next token). */
const segment = fc.array(fc.tuple(token, fc.boolean()), { minLength: 1, maxLength: 8 }).map((items) => {
  let text = '';
  items.forEach(([t, newline], i) => {
    if (i > 0) text += items[i - 1]![0].endsLine || newline ? '\n' : ' ';
    text += t.text;
  });
  return { text, hasCode: items.some(([t]) => t.code) };
});

const separator = fc
  .tuple(
    fc.constantFrom('GO', 'go', 'Go', 'gO'),
    fc.constantFrom('', ' ', '  ', '\t'),
    fc.option(fc.integer({ min: 1, max: 9 })),
    fc.boolean(),
  )
  .map(([go, pad, count, comment]) => ({
    line: `${pad}${go}${count === null ? '' : ` ${count}`}${pad}${comment ? '-- next part' : ''}`,
    repeat: count ?? 1,
  }));

const script = fc
  .array(fc.tuple(segment, separator), { minLength: 1, maxLength: 5 })
  .chain((parts) => segment.map((last) => ({ parts, last })));

describe('GO splitter: properties', () => {
  test('the batches are exactly the segments between separator lines, never cut inside strings, identifiers or comments', () => {
    fc.assert(
      fc.property(script, ({ parts, last }) => {
        const text = parts.map(([seg, sep]) => `${seg.text}\n${sep.line}\n`).join('') + last.text;
        const expected = [
          ...parts.map(([seg, sep], i) => ({
            sql: `${seg.text}\n`,
            repeat: sep.repeat,
            hasCode: seg.hasCode,
            i,
          })),
          { sql: last.text, repeat: 1, hasCode: last.hasCode, i: parts.length },
        ].filter((e) => e.hasCode);
        const actual = splitGoBatches(text);
        assert.deepEqual(
          actual.map((b) => ({ sql: b.sql, repeat: b.repeat })),
          expected.map((e) => ({ sql: e.sql, repeat: e.repeat })),
        );
      }),
      { numRuns: 400 },
    );
  });

  test('joining the batches back with GO gives the same batches', () => {
    fc.assert(
      fc.property(script, ({ parts, last }) => {
        const text = parts.map(([seg, sep]) => `${seg.text}\n${sep.line}\n`).join('') + last.text;
        const first = splitGoBatches(text).map((b) => b.sql.trim());
        const rejoined = splitGoBatches(first.join('\nGO\n')).map((b) => b.sql.trim());
        assert.deepEqual(rejoined, first);
      }),
      { numRuns: 300 },
    );
  });

  test('on any input: batches are ordered verbatim slices, and what lies between them holds no code', () => {
    const anyText = fc.array(fc.oneof(hostileChar, fc.constantFrom('\nGO\n', '\ngo\n', '/*', '*/', '--')), {
      maxLength: 40,
    });
    fc.assert(
      fc.property(anyText, (parts) => {
        const text = parts.join('');
        const batches = splitGoBatches(text);
        let cursor = 0;
        for (const b of batches) {
          assert.equal(text.slice(b.start, b.end), b.sql);
          assert.ok(b.start >= cursor, 'batches are in order and do not overlap');
          const gap = text.slice(cursor, b.start);
          assert.deepEqual(splitGoBatches(gap), [], `gap ${JSON.stringify(gap)} holds code`);
          cursor = b.end;
        }
      }),
      { numRuns: 500 },
    );
  });
});
