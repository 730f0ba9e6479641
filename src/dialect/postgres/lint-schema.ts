import type { StillNew } from '../lint-types.js';
import type { ColumnType } from './lint-ast.js';

interface TableState {
  /** The migration that created the table, when the linted SQL did. */
  createdIn?: string;
  columns: Map<string, ColumnType>;
  /** CHECK (col IS NOT NULL) constraints by name. */
  notNullChecks: Map<string, { column: string; validated: boolean }>;
}

/**
 * What the migrations linted so far did to the schema, as far as the rules need it. Tables are known by
 * their name alone: migrations rarely qualify them, and a tenant's schema is set by its search_path.
 */
export class LintSchema {
  private readonly tables = new Map<string, TableState>();
  constructor(private readonly stillNew: StillNew) {}

  private table(name: string): TableState {
    let state = this.tables.get(name);
    if (!state) {
      state = { columns: new Map(), notNullChecks: new Map() };
      this.tables.set(name, state);
    }
    return state;
  }

  /** The linted SQL made or changed the table (and did not drop it since). */
  knows(table: string): boolean {
    return this.tables.has(table);
  }

  created(table: string, migration: string): void {
    this.tables.set(table, { createdIn: migration, columns: new Map(), notNullChecks: new Map() });
  }

  dropped(table: string): void {
    this.tables.delete(table);
  }

  renamed(table: string, to: string): void {
    const state = this.tables.get(table);
    this.tables.delete(table);
    if (state) this.tables.set(to, state);
  }

  /** Created by the linted SQL in a migration that runs together with `current`: empty, unused by the app. */
  isNew(table: string, current: string): boolean {
    const createdIn = this.tables.get(table)?.createdIn;
    return createdIn !== undefined && this.stillNew(createdIn, current);
  }

  columnType(table: string, column: string): ColumnType | undefined {
    return this.tables.get(table)?.columns.get(column);
  }

  setColumn(table: string, column: string, type: ColumnType | undefined): void {
    if (type) this.table(table).columns.set(column, type);
    else this.tables.get(table)?.columns.delete(column);
  }

  renameColumn(table: string, column: string, to: string): void {
    const state = this.tables.get(table);
    const type = state?.columns.get(column);
    state?.columns.delete(column);
    if (type) this.setColumn(table, to, type);
  }

  addNotNullCheck(table: string, name: string, column: string, validated: boolean): void {
    this.table(table).notNullChecks.set(name, { column, validated });
  }

  validate(table: string, constraint: string): void {
    const check = this.tables.get(table)?.notNullChecks.get(constraint);
    if (check) check.validated = true;
  }

  hasValidatedNotNull(table: string, column: string): boolean {
    const checks = this.tables.get(table)?.notNullChecks.values() ?? [];
    return [...checks].some((c) => c.column === column && c.validated);
  }
}

const STRINGS = new Set(['varchar', 'text']);

/**
 * Whether PostgreSQL changes the type without rewriting the table: the binary-coercible widenings
 * (varchar(n) → varchar(m ≥ n), varchar → text and back to an unbounded varchar, numeric precision up at the
 * same scale). Anything else, or an unknown current type, is taken to rewrite.
 */
export function changesWithoutRewrite(from: ColumnType | undefined, to: ColumnType): boolean {
  if (!from) return false;
  if (from.name === to.name && from.mods.join() === to.mods.join()) return true;
  if (STRINGS.has(from.name) && STRINGS.has(to.name)) {
    if (to.mods.length === 0) return true;
    return (
      to.name === 'varchar' && from.name === 'varchar' && from.mods.length > 0 && to.mods[0]! >= from.mods[0]!
    );
  }
  if (from.name === 'numeric' && to.name === 'numeric') {
    if (to.mods.length === 0) return true;
    const [fromPrecision = 0, fromScale = 0] = from.mods;
    const [toPrecision = 0, toScale = 0] = to.mods;
    return from.mods.length > 0 && toScale === fromScale && toPrecision >= fromPrecision;
  }
  return false;
}
