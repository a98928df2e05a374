/**
 * GPT-2 byte-level mapping: every byte 0..255 is shown as one printable code point so that BPE vocabularies can be
 * stored as text. Printable Latin-1 bytes stand for themselves; the 68 others (controls, space, 0x7F–0xA0, soft
 * hyphen) take U+0100, U+0101, … in increasing byte order (space → U+0120 'Ġ', LF → U+010A 'Ċ').
 */

function isSelfMapped(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

/** byte → code point of its stand-in character. */
export const BYTE_TO_CODEPOINT: Uint16Array = (() => {
  const out = new Uint16Array(256);
  let next = 0x100;
  for (let b = 0; b < 256; b++) out[b] = isSelfMapped(b) ? b : next++;
  return out;
})();

/** byte → its stand-in character as a one-character string. */
export const BYTE_TO_CHAR: readonly string[] = Array.from(BYTE_TO_CODEPOINT, (cp) => String.fromCharCode(cp));

/** code point of a stand-in character → byte, or -1 for a code point outside the mapping. */
export function codepointToByte(cp: number): number {
  return cp < CP_TO_BYTE.length ? CP_TO_BYTE[cp]! : -1;
}

const CP_TO_BYTE: Int16Array = (() => {
  const out = new Int16Array(0x100 + 68).fill(-1);
  for (let b = 0; b < 256; b++) out[BYTE_TO_CODEPOINT[b]!] = b;
  return out;
})();
