/**
 * File and folder names as the page shows them. A name may be blank to the eye (one space, a
 * zero-width space) or hold bidirectional controls that reorder what follows
 * (`invoice\u202Etxt.exe` reads as `invoiceexe.txt`), so one name can pass for another. Such
 * characters are shown as `⟨U+202E⟩`; the key itself is never changed.
 */

/** Embeddings, overrides and isolates: U+202A-U+202E, U+2066-U+2069. */
const DIRECTION_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/gu;
/** White space and characters that draw nothing (zero-width space, word joiner, Hangul filler...). */
const INVISIBLE_ONLY = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}]+$/u;

/** Says why a name looks odd, for the `title` of an element that shows an escaped name. */
export const ESCAPED_NAME_NOTE = 'This name holds characters that are invisible or change the text direction; they are shown as ⟨U+…⟩.';

function codePointTag(character: string): string {
  return `⟨U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/** One name (no slash): every character escaped when none would be seen, else its direction controls. */
export function visibleName(name: string): string {
  if (INVISIBLE_ONLY.test(name)) return [...name].map(codePointTag).join('');
  return name.replace(DIRECTION_CONTROLS, codePointTag);
}

/** A key or folder path, name by name: `a/ /b` -> `a/⟨U+0020⟩/b`. */
export function visiblePath(path: string): string {
  return path.split('/').map(visibleName).join('/');
}

/** Shows `path` escaped in `target`, with a title saying why when anything was escaped. */
export function showPath(target: HTMLElement, path: string): string {
  const shown = visiblePath(path);
  target.textContent = shown;
  if (shown !== path) target.title = ESCAPED_NAME_NOTE;
  else target.removeAttribute('title');
  return shown;
}
