import { hashOf } from './fingerprint-hash.js';
import type { SchemaShape, TableShape } from './schema-shape.js';

const byKey = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0);
const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The shape with every unordered list and map sorted: equal structures give equal JSON. */
export function canonicalShape(shape: SchemaShape): SchemaShape {
  const tables = Object.entries(shape.tables)
    .sort(byKey)
    .map(([key, t]): [string, TableShape] => [
      key,
      {
        properties: Object.fromEntries(Object.entries(t.properties).sort(byKey)),
        columns: t.columns,
        indexes: [...t.indexes].sort(byName),
        constraints: [...t.constraints].sort(byName),
        triggers: [...t.triggers].sort(byName),
        ...(t.definition !== undefined ? { definition: t.definition } : {}),
      },
    ]);
  return {
    tables: Object.fromEntries(tables),
    objects: Object.fromEntries(Object.entries(shape.objects).sort(byKey)),
  };
}

/** The drift fingerprint: one hash over the whole canonical shape. Equal means the same structure. */
export function shapeHash(shape: SchemaShape): string {
  return hashOf(canonicalShape(shape), 16);
}
