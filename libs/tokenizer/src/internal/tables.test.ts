/** The allocation-free hash tables against plain Maps on the same data. */
import { PairTable, StringIdTable } from './tables';

it('StringIdTable finds substrings like a Map of the whole strings (last index wins)', () => {
  const strings = ['a', 'ab', 'abc', 'Ġthe', 'ab', '', 'ñ', '日本', '😀x'];
  const map = new Map<string, number>();
  strings.forEach((s, i) => map.set(s, i));
  const t = new StringIdTable(strings);
  const hay = '--abc-Ġthe-日本-😀x-zz-ñ';
  for (let i = 0; i <= hay.length; i++) {
    for (let j = i; j <= hay.length; j++) expect(t.find(hay, i, j)).toBe(map.get(hay.slice(i, j)) ?? -1);
  }
});

it('PairTable keeps the first value of a pair and survives rehashing', () => {
  const t = new PairTable(2);
  const ref = new Map<string, number>();
  let x = 12345;
  for (let i = 0; i < 5000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const a = x % 300;
    const b = (x >>> 9) % 300000;
    t.setIfAbsent(a, b, i);
    if (!ref.has(`${a},${b}`)) ref.set(`${a},${b}`, i);
  }
  for (const [k, v] of ref) {
    const [a, b] = k.split(',').map(Number) as [number, number];
    expect(t.get(a, b)).toBe(v);
  }
  expect(t.get(301, 5)).toBe(-1);
});
