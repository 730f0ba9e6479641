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
  const positions: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (INDEX.test(lines[i]!) || CONSTRAINT.test(lines[i]!)) positions.push(i);
  }
  const entries = positions.map((i) => lines[i]!);
  const ordered = [...entries.filter(isAttached), ...entries.filter((l) => !isAttached(l))];
  positions.forEach((at, k) => {
    lines[at] = ordered[k]!;
  });
  return lines.join('\n');
}
