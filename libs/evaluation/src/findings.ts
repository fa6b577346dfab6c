import type { ControlRetrieverResult, SameSourceControl } from './control';
import type { ConfigurationResult } from './protocol';
import type { Criterion } from './relevance';
import type { SourceResult } from './sources';

/** A model configuration must beat the trivial-features baseline by this much to count as "clearly". */
export const CLEAR_MARGIN = 0.05;

const CRITERION_WORDS: Record<Criterion, string> = {
  damage: 'damaged vs clean',
  type: 'damage type',
  zone: 'zone',
};

/**
 * What the figures do and do not show, in sentences for the report: each criterion the best model
 * configuration does not clearly win against trivial image statistics is a shortcut, and the
 * same-source control says how much of damaged-vs-clean survives when the source is the same.
 */
export function findings(
  configurations: readonly ConfigurationResult[],
  agreement: readonly ControlRetrieverResult[],
  control: SameSourceControl,
  sources: readonly SourceResult[],
  cleanCrops: number,
): string[] {
  const lines: string[] = [];
  if (cleanCrops === 0) {
    lines.push(
      'The dataset has no clean photo, so no clean crop: damaged vs clean is not judged against the index (every result ' +
        'would be damaged like the query, 1.000 for any retriever) and is measured by the same-source control alone.',
    );
  }
  const trivial = configurations.find((configuration) => configuration.label === 'baseline: trivial features');
  const models = configurations.filter((configuration) => configuration.role === 'model');
  const k = Number(Object.keys(trivial?.exact.overall.criteria.damage.precision ?? {})[0] ?? 1);
  for (const criterion of ['damage', 'type', 'zone'] as const) {
    const baseline = trivial?.exact.overall.criteria[criterion].precision[k] ?? null;
    const scored = models.flatMap((configuration) => {
      const value = configuration.exact.overall.criteria[criterion].precision[k] ?? null;
      return value === null || configuration.exact.overall.criteria[criterion].queries === 0
        ? []
        : [{ label: configuration.label, value }];
    });
    if (baseline === null || scored.length === 0) continue;
    const best = scored.reduce((a, b) => (b.value > a.value ? b : a));
    if (best.value - baseline < CLEAR_MARGIN) {
      lines.push(
        `${capitalize(CRITERION_WORDS[criterion])} at P@${k}: the best model configuration (${best.label}, ${best.value.toFixed(3)}) ` +
          `does not beat trivial features (${baseline.toFixed(3)}) by ${CLEAR_MARGIN}: these labels can be told apart by a shortcut ` +
          '(colour, masked background, photo size), so this figure does not show that the model recognises them.',
      );
    } else {
      lines.push(
        `${capitalize(CRITERION_WORDS[criterion])} at P@${k}: the best model configuration (${best.label}, ${best.value.toFixed(3)}) ` +
          `beats trivial features (${baseline.toFixed(3)}) by ${(best.value - baseline).toFixed(3)}.`,
      );
    }
  }
  if (models.every((configuration) => configuration.exact.overall.criticalQueries === 0)) {
    lines.push(
      'No test crop shows a critical damage type, so critical recall and the composite are not available (shown as —).',
    );
  }
  const within = (retrievers: readonly ControlRetrieverResult[], group: 'withinDamaged' | 'withinClean') =>
    retrievers.map((retriever) => `${retriever.label} ${num(retriever.zone[group].precision)}`).join(', ');
  // A dataset without part polygons has no known zone: nothing to say.
  if (agreement.some((retriever) => retriever.zone.overall.queries > 0)) {
    lines.push(
      `Zone within clean crops, each against the clean crops of other photos (P@1): ${within(agreement, 'withinClean')}. ` +
        `Within damaged crops: ${within(agreement, 'withinDamaged')}. Here the photo source cannot tell zones apart.`,
    );
  }
  lines.push(...sourceFindings(sources, k));
  const model = control.retrievers.find((retriever) => retriever.role === 'model');
  const random = control.retrievers.find((retriever) => retriever.label === 'baseline: random vectors');
  if (model?.damage.precision != null && random?.damage.precision != null) {
    lines.push(
      `Same-source control (${control.damagedCrops} damage crops and ${control.cleanWindows} clean windows of the same ${control.photos} photos): ` +
        `damaged vs clean P@1 ${model.damage.precision.toFixed(3)} with the model, ${random.damage.precision.toFixed(3)} with random vectors. ` +
        'This is the figure that says whether the model sees damage rather than the photo source.',
    );
    const testModel = control.testSplit.retrievers.find((retriever) => retriever.role === 'model');
    if (testModel?.damage.precision != null)
      lines.push(
        `The same control on the test photos alone (their ${control.testSplit.queries} items against every other photo's): ` +
          `damaged vs clean P@1 ${testModel.damage.precision.toFixed(3)} with the model. An adapted model (\`defect-rag adapt\`) ` +
          "saw the train photos' crops and windows, so it is judged by this figure, not the one above.",
      );
  }
  return lines;
}

/**
 * Damage type at P@k within each source, the best model configuration against both baselines: a
 * type figure that only tells sources apart beats trivial features overall but not within sources.
 */
function sourceFindings(sources: readonly SourceResult[], k: number): string[] {
  const measured = sources.filter((source) => source.configurations.length > 0);
  if (measured.length < 2) return [];
  const parts = measured.flatMap(({ source, testCrops, configurations }) => {
    const p = (label: string) =>
      configurations.find((configuration) => configuration.label === label)?.metrics.overall.criteria.type;
    const models = configurations.filter((configuration) => configuration.role === 'model');
    const best = models
      .map((configuration) => configuration.metrics.overall.criteria.type)
      .filter((criterion) => criterion.queries > 0)
      .map((criterion) => criterion.precision[k] ?? null)
      .reduce<number | null>((a, b) => (a === null ? b : b === null ? a : Math.max(a, b)), null);
    if (best === null) return [];
    return [
      `${source} (${testCrops} test crops): model ${num(best)}, trivial features ${num(p('baseline: trivial features')?.precision[k] ?? null)}, ` +
        `random vectors ${num(p('baseline: random vectors')?.precision[k] ?? null)}`,
    ];
  });
  if (parts.length === 0) return [];
  return [
    `Damage type at P@${k} within each source (its test crops against its train crops only, where the source cannot help): ` +
      `${parts.join('; ')}.`,
  ];
}

function num(value: number | null): string {
  return value === null ? '—' : value.toFixed(3);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
