/**
 * The tiny model's tokenizer: CLIP's byte-level BPE scheme (same special tokens, same
 * normaliser and pre-tokeniser, same 77-token contract) with a small merges list the project
 * trains itself over the domain's words, because CLIP's own vocabulary cannot be committed.
 * Every word below becomes one token; any other text still tokenises, byte by byte.
 */
import { buildClipTokenizer, bytesToUnicode, type ClipTokenizerFiles } from '../clip-tokenizer/clip-tokenizer';

const DOMAIN_TEXT = `
  a an and the of on in with without no not is are this that it photo image picture car vehicle
  crop inspection grid section surface clean specific defect defects visible damage damaged
  undamaged paint painted panel part parts body bodywork material edges edge separation area zone
  scratch scratches scratched deep light heavy minor severe dent dents dented crack cracks cracked
  break broken fracture fractured fractures chip chips chipped rust rusted corrosion deformation
  deformed missing glass shattered scuff scuffs hole holes tear torn misaligned gap puncture jagged
  crushed lines marks mark
  front rear back left right side center centre top bottom upper lower door doors hood bonnet
  bumper bumpers fender fenders quarter roof trunk boot tailgate windshield windscreen window
  windows mirror mirrors wheel wheels tire tyre rim rims headlight headlights taillight taillights
  lamp grille pillar rocker skirt plate license
  rayón rayones rayado rayada abolladura abolladuras rotura fractura grieta grietas golpe golpes
  paragolpes parachoques delantero delantera trasero trasera izquierdo izquierda derecho derecha
  puerta puertas capó techo maletero faro faros piloto espejo retrovisor rueda llanta cristal luna
  pintura óxido suciedad contaminación profundo profundos superficie limpia sin daño daños defecto
  defectos visible visibles y en el la los las de del un una con
`;

/**
 * Classic BPE training over the distinct domain words: repeatedly merge the most frequent adjacent
 * pair (ties broken by the pair's text, so the result never varies) until every word is one symbol.
 * Words are written in CLIP's byte-level alphabet with `</w>` on the last symbol.
 */
export function trainDomainMerges(text: string = DOMAIN_TEXT): Array<[string, string]> {
  const byteSymbol = new Map(bytesToUnicode());
  const words = [
    ...new Set(
      text
        .normalize('NFC')
        .toLowerCase()
        .match(/\p{L}+/gu) ?? [],
    ),
  ].sort();
  const segmented = words.map((word) => {
    const symbols = [...Buffer.from(word, 'utf8')].map((byte) => byteSymbol.get(byte)!);
    symbols[symbols.length - 1] += '</w>';
    return symbols;
  });

  const merges: Array<[string, string]> = [];
  for (;;) {
    const counts = new Map<string, number>();
    for (const symbols of segmented) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const pair = `${symbols[i]} ${symbols[i + 1]}`;
        counts.set(pair, (counts.get(pair) ?? 0) + 1);
      }
    }
    if (counts.size === 0) return merges;
    const [best] = [...counts].sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : 1))[0]!;
    const [left, right] = best.split(' ') as [string, string];
    merges.push([left, right]);
    for (const symbols of segmented) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        if (symbols[i] === left && symbols[i + 1] === right) symbols.splice(i, 2, left + right);
      }
    }
  }
}

/** The tiny model's tokenizer files and their vocabulary size. */
export function buildDomainTokenizer(contextLength: number): ClipTokenizerFiles & { vocabSize: number } {
  const merges = trainDomainMerges();
  const mergesText = ['#version: 0.2 (defect-rag domain merges)', ...merges.map(([a, b]) => `${a} ${b}`)].join('\n');
  const vocabSize = 512 + merges.length + 2;
  return { ...buildClipTokenizer(mergesText, { vocabSize, contextLength }), vocabSize };
}
