/** One argument of a command dbfleet suggests in a message, quoted for a POSIX shell where it needs to be. */
export function shellArg(value: string): string {
  return /^[\w./:@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
