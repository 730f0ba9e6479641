import type { AlterTableCmd, AlterTableStmt, ColumnDef, Constraint, Node } from 'libpg-query';
import { type ColumnType, calls, columnType, isNullConstant, strings } from './lint-ast.js';
import { NON_VOLATILE_FUNCTIONS, type PostgresRule, VOLATILE_FUNCTIONS } from './lint-rules.js';
import { changesWithoutRewrite, type LintSchema } from './lint-schema.js';

export interface StatementContext {
  schema: LintSchema;
  migration: string;
  transactional: boolean;
  /** How many statements the query string holding this one has: more than one run as one transaction. */
  statementsInString: number;
  hit(rule: PostgresRule, detail?: string): void;
}

const SET_REWRITES: Record<string, string> = {
  AT_SetTableSpace: 'SET TABLESPACE',
  AT_SetLogged: 'SET LOGGED',
  AT_SetUnLogged: 'SET UNLOGGED',
};

const SERIALS: Record<string, string> = { smallserial: 'int2', serial: 'int4', bigserial: 'int8' };

function constraintsOf(nodes: readonly Node[] | undefined): Constraint[] {
  return (nodes ?? []).flatMap((n) => ('Constraint' in n ? [n.Constraint] : []));
}

/** The column a `CHECK (col IS NOT NULL)` is about, if that is all the check says. */
function notNullCheckColumn(c: Constraint): string | undefined {
  const expr = c.raw_expr;
  if (!expr || !('NullTest' in expr) || expr.NullTest.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const arg = expr.NullTest.arg;
  return arg && 'ColumnRef' in arg ? strings(arg.ColumnRef.fields).at(-1) : undefined;
}

/** Records a new column's type; serial columns are stored as the integer they are. */
export function typeOfColumn(def: ColumnDef): ColumnType | undefined {
  const type = columnType(def.typeName);
  return type && SERIALS[type.name] ? { name: SERIALS[type.name]!, mods: [] } : type;
}

/** Why filling the new column means computing every row, or undefined when its value is stored once. */
function perRowValue(def: ColumnDef, constraints: Constraint[]): string | undefined {
  const type = columnType(def.typeName)?.name ?? '';
  if (SERIALS[type]) return `a ${type} column takes a value from a sequence for every row`;
  if (constraints.some((c) => c.contype === 'CONSTR_IDENTITY'))
    return 'an identity column takes a value from a sequence for every row';
  if (constraints.some((c) => c.contype === 'CONSTR_GENERATED' && c.generated_kind !== 'v'))
    return 'a stored generated column is computed for every row';
  const defaults = constraints.filter((c) => c.contype === 'CONSTR_DEFAULT').map((c) => c.raw_expr);
  const functions = calls(defaults).map((c) => c.name);
  const volatile = functions.find((f) => VOLATILE_FUNCTIONS.has(f));
  if (volatile) return `${volatile}() is volatile: it is computed for every row`;
  const unknown = functions.find((f) => !NON_VOLATILE_FUNCTIONS.has(f));
  if (unknown)
    return `dbfleet cannot tell whether ${unknown}() is volatile: accept this if it is STABLE or IMMUTABLE`;
  return undefined;
}

/**
 * A new column's own CHECK is evaluated on every existing row (knex's enu() and checkPositive() write one),
 * its FOREIGN KEY too once a default gives the rows a value; all NULL, the server checks nothing there.
 * Either way under the ADD COLUMN's ACCESS EXCLUSIVE lock.
 */
function checkedEveryRow(constraints: Constraint[], hasDefault: boolean): string | undefined {
  if (constraints.some((c) => c.contype === 'CONSTR_CHECK')) return 'CHECK';
  if (hasDefault && constraints.some((c) => c.contype === 'CONSTR_FOREIGN')) return 'FOREIGN KEY';
  return undefined;
}

function addColumn(table: string, isNew: boolean, def: ColumnDef, ctx: StatementContext): void {
  const column = def.colname ?? '';
  ctx.schema.setColumn(table, column, typeOfColumn(def));
  if (isNew) return;
  const constraints = constraintsOf(def.constraints);
  const perRow = perRowValue(def, constraints);
  if (perRow) ctx.hit('addColumnVolatileDefault', `column ${column}: ${perRow}`);
  const notNull = def.is_not_null || constraints.some((c) => c.contype === 'CONSTR_NOTNULL');
  // `DEFAULT NULL` (knex's `.defaultTo(null)`) fills the rows with NULL: no default for NOT NULL's sake.
  const fillsRows = constraints.some((c) => c.contype === 'CONSTR_DEFAULT' && !isNullConstant(c.raw_expr));
  if (notNull && !fillsRows && !perRow) ctx.hit('addColumnNotNull', `column ${column}`);
  const checked = checkedEveryRow(constraints, fillsRows);
  if (checked)
    ctx.hit(
      'constraintMissingNotValid',
      `column ${column}: its ${checked} is checked against every existing row`,
    );
  if (constraints.some((c) => c.contype === 'CONSTR_UNIQUE' || c.contype === 'CONSTR_PRIMARY'))
    ctx.hit('indexNotConcurrent', `column ${column}: its UNIQUE / PRIMARY KEY builds an index in place`);
}

/** `USING (col::newtype)` (knex writes it) is the same as no USING; any other expression computes every row. */
function usingIsPlainCast(def: ColumnDef, column: string, to: ColumnType): boolean {
  const using = def.raw_default;
  if (!using) return true;
  const cast = 'TypeCast' in using ? using.TypeCast : undefined;
  const arg = cast?.arg;
  const castTo = columnType(cast?.typeName);
  return (
    !!arg &&
    'ColumnRef' in arg &&
    strings(arg.ColumnRef.fields).at(-1) === column &&
    castTo?.name === to.name &&
    castTo.mods.join() === to.mods.join()
  );
}

const show = (t: ColumnType) => (t.mods.length ? `${t.name}(${t.mods.join(',')})` : t.name);

function alterType(table: string, isNew: boolean, cmd: AlterTableCmd, ctx: StatementContext): void {
  const column = cmd.name ?? '';
  const def = cmd.def && 'ColumnDef' in cmd.def ? cmd.def.ColumnDef : undefined;
  const to = columnType(def?.typeName);
  if (!def || !to) return;
  const from = ctx.schema.columnType(table, column);
  ctx.schema.setColumn(table, column, to);
  if (isNew) return;
  if (!usingIsPlainCast(def, column, to))
    ctx.hit('alterColumnType', `column ${column}: its USING expression is computed for every row`);
  else if (!from)
    ctx.hit(
      'alterColumnType',
      `column ${column}: its current type is not in the linted migrations; accept this if ${show(to)} only widens it`,
    );
  else if (!changesWithoutRewrite(from, to))
    ctx.hit('alterColumnType', `column ${column}: ${show(from)} → ${show(to)} rewrites the table`);
}

function addConstraint(table: string, isNew: boolean, c: Constraint, ctx: StatementContext): void {
  const notNullOf = c.contype === 'CONSTR_CHECK' ? notNullCheckColumn(c) : undefined;
  if (notNullOf) ctx.schema.addNotNullCheck(table, c.conname ?? '', notNullOf, !c.skip_validation);
  if (isNew) return;
  const name = c.conname ? `constraint ${c.conname}` : 'an unnamed constraint';
  if ((c.contype === 'CONSTR_FOREIGN' || c.contype === 'CONSTR_CHECK') && !c.skip_validation)
    ctx.hit('constraintMissingNotValid', name);
  const indexed = ['CONSTR_UNIQUE', 'CONSTR_PRIMARY', 'CONSTR_EXCLUSION'].includes(c.contype ?? '');
  if (indexed && !c.indexname) ctx.hit('indexNotConcurrent', `${name} builds its index in place`);
}

function command(table: string, isNew: boolean, cmd: AlterTableCmd, ctx: StatementContext): void {
  const def = cmd.def;
  switch (cmd.subtype) {
    case 'AT_AddColumn':
      if (def && 'ColumnDef' in def) addColumn(table, isNew, def.ColumnDef, ctx);
      break;
    case 'AT_AlterColumnType':
      alterType(table, isNew, cmd, ctx);
      break;
    case 'AT_AddConstraint':
      if (def && 'Constraint' in def) addConstraint(table, isNew, def.Constraint, ctx);
      break;
    case 'AT_SetTableSpace':
    case 'AT_SetLogged':
    case 'AT_SetUnLogged':
      if (!isNew)
        ctx.hit(
          'exclusiveLockStatement',
          `${table}: ${SET_REWRITES[cmd.subtype]} rewrites it under ACCESS EXCLUSIVE`,
        );
      break;
    case 'AT_ValidateConstraint':
      ctx.schema.validate(table, cmd.name ?? '');
      break;
    case 'AT_SetNotNull':
      if (!isNew && !ctx.schema.hasValidatedNotNull(table, cmd.name ?? ''))
        ctx.hit('setNotNull', `column ${cmd.name}`);
      break;
    case 'AT_DropColumn':
      if (!isNew) ctx.hit('dropOrRename', `drops column ${cmd.name}`);
      ctx.schema.setColumn(table, cmd.name ?? '', undefined);
      break;
  }
}

export function lintAlterTable(stmt: AlterTableStmt, ctx: StatementContext): void {
  const table = stmt.relation?.relname;
  if (stmt.objtype !== 'OBJECT_TABLE' || !table) return;
  const isNew = ctx.schema.isNew(table, ctx.migration);
  for (const node of stmt.cmds ?? [])
    if ('AlterTableCmd' in node) command(table, isNew, node.AlterTableCmd, ctx);
}
