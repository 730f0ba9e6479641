/**
 * `pg_restore --clean` drops in the reverse of the listing's order. pg_dump lists a partitioned table's
 * key before its partitions' keys (`CONSTRAINT public e e_pkey`, then `… e1 e1_pkey`, then `INDEX ATTACH
 * public e1_pkey`), so the clean pass drops the partitions' keys first — which the server refuses while
 * they are attached to the parent's (`cannot drop inherited constraint "e1_pkey" of relation "e1"`). Every
 * in-place restore of a tenant with a keyed (or indexed) partitioned table failed, and after the objects
 * created since the backup had been dropped. Listing the attached indexes and constraints before all
 * others turns that round: the parent's goes first and takes its partitions' with it, whose own drops
 * (`IF EXISTS`) then find nothing. Creating them in that order is as good: each is created on its own
 * table (`ONLY`), and the `INDEX ATTACH` entries, which come after them all, join them up.
 *
 * Only the attached entries move — up, to where the first key or index was — and every other line keeps
 * its order. pg_dump lists what depends on an entry after it (an index's or key's `COMMENT` just after
 * it), and moving an entry earlier keeps that true. Permuting all keys and indexes across their places,
 * as this once did, left each comment where it was, ahead of its moved index: `relation
 * "public.accounts_email" does not exist`, and the tenant could not be restored.
 */

const ATTACH = /^\d+; 0 0 INDEX ATTACH (.*)$/;
const CONSTRAINT = /^\d+; 2606 \d+ CONSTRAINT (.*)$/;
const INDEX = /^\d+; 1259 \d+ INDEX (.*)$/;

/** The text before the owner (the last word; pg_restore prints it without quotes). */
const withoutOwner = (rest: string) => rest.slice(0, rest.lastIndexOf(' '));

/** The listing, reordered for `--use-list` so that attached indexes and keys come first (see above). */
export function attachedIndexesFirst(list: string): string {
  const lines = list.split('\n');
  // `<schema> <index>` of every index attached to a partitioned table's index.
  const attached: string[] = [];
  for (const line of lines) {
    const m = ATTACH.exec(line);
    if (m) attached.push(withoutOwner(m[1]!));
  }
  if (attached.length === 0) return list;
  const attachedSet = new Set(attached);
  const isAttached = (line: string): boolean => {
    const index = INDEX.exec(line);
    if (index) return attachedSet.has(withoutOwner(index[1]!));
    const constraint = CONSTRAINT.exec(line);
    if (!constraint) return false;
    // `<schema> <table> <constraint>`: a key's index has the constraint's name, in the table's schema.
    const tag = withoutOwner(constraint[1]!);
    return attached.some((a) => {
      const space = a.indexOf(' ');
      return tag.startsWith(a.slice(0, space + 1)) && tag.endsWith(a.slice(space));
    });
  };
  const moved = lines.filter(isAttached);
  if (moved.length === 0) return list;
  const first = lines.findIndex((l) => INDEX.test(l) || CONSTRAINT.test(l));
  const rest = lines.filter((l) => !isAttached(l));
  // Everything before the first key or index stays before it, so `first` is where it is in `rest` too.
  return [...rest.slice(0, first), ...moved, ...rest.slice(first)].join('\n');
}
