import type { Level, SearchMode, SearchOptionsData, ValueCount } from '../queries';
import { DEFAULT_SETTINGS, type SearchSettings } from '../search-query';
import { zonesAsTree } from '../zones';

export const MODES: { value: SearchMode; label: string; hint: string }[] = [
  { value: 'FUSED', label: 'Fused', hint: 'image + text vectors' },
  { value: 'IMAGE', label: 'Image', hint: 'image vectors' },
  { value: 'TEXT', label: 'Text', hint: 'description vectors' },
];
const LEVELS: { value: Level; label: string; hint: string }[] = [
  { value: 'CROP', label: 'Crops', hint: 'crops around defects and of clean bodywork' },
  {
    value: 'PHOTO',
    label: 'Photos',
    hint: 'whole photos, with their defects drawn; a dropped image is taken as a whole photo',
  },
];

export function Filters({
  settings,
  update,
  options,
  modes,
}: {
  settings: SearchSettings;
  update: (changes: Partial<SearchSettings>) => void;
  options: SearchOptionsData | null;
  /** The modes the chosen model answers. */
  modes: readonly SearchMode[];
}) {
  const zoneCounts = counts(options?.indexStats.byZone);
  const typeCounts = counts(options?.indexStats.byDamageType);
  const toggle = (list: string[], id: string, on: boolean) => (on ? [...list, id] : list.filter((item) => item !== id));
  return (
    <div class="filters">
      <fieldset class="segmented">
        <legend>Damage</legend>
        {(['any', 'damaged', 'clean', 'unlabelled'] as const).map((choice) => (
          <label key={choice}>
            <input
              type="radio"
              name="damage"
              value={choice}
              checked={settings.damage === choice}
              onChange={() => update({ damage: choice })}
            />
            <span>{choice.charAt(0).toUpperCase() + choice.slice(1)}</span>
          </label>
        ))}
      </fieldset>

      <fieldset class="segmented">
        <legend>Find</legend>
        {LEVELS.map((level) => (
          <label key={level.value} title={level.hint}>
            <input
              type="radio"
              name="level"
              value={level.value}
              checked={settings.level === level.value}
              onChange={() => update({ level: level.value })}
              data-testid={`level-${level.value.toLowerCase()}`}
            />
            <span>{level.label}</span>
          </label>
        ))}
      </fieldset>

      <fieldset class="segmented">
        <legend>Mode</legend>
        {MODES.filter((mode) => modes.includes(mode.value)).map((mode) => (
          <label key={mode.value} title={mode.hint}>
            <input
              type="radio"
              name="mode"
              value={mode.value}
              checked={settings.mode === mode.value}
              onChange={() => update({ mode: mode.value })}
            />
            <span>{mode.label}</span>
          </label>
        ))}
      </fieldset>

      <div class="field-row">
        <label>
          Limit
          <input
            type="number"
            min={1}
            max={100}
            step={1}
            value={settings.limit}
            onChange={(event) => update({ limit: clampLimit(event.currentTarget.valueAsNumber) })}
          />
        </label>
        <label>
          Min score
          <input
            type="number"
            min={-1}
            max={1}
            step={0.05}
            value={settings.minScore}
            placeholder="none"
            onChange={(event) => update({ minScore: event.currentTarget.value })}
          />
        </label>
      </div>

      <label class="checkbox-line">
        <input
          type="checkbox"
          checked={settings.onePerPhoto}
          onChange={(event) => update({ onePerPhoto: event.currentTarget.checked })}
        />
        <span>One per photo</span>
      </label>

      <div class="field-row">
        <label>
          Dataset
          <select value={settings.datasetId} onChange={(event) => update({ datasetId: event.currentTarget.value })}>
            <option value="">All datasets</option>
            {options?.datasets.edges.map(({ node }) => (
              <option key={node.id} value={node.id}>
                {node.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Split
          <select value={settings.split} onChange={(event) => update({ split: event.currentTarget.value })}>
            <option value="">Any</option>
            <option value="train">train</option>
            <option value="test">test</option>
          </select>
        </label>
      </div>

      {options && (
        <>
          <CheckboxGroup
            legend="Zones"
            entries={zonesAsTree(options.taxonomy.zones)}
            counts={zoneCounts}
            selected={settings.zones}
            onToggle={(id, on) => update({ zones: toggle(settings.zones, id, on) })}
          />
          <CheckboxGroup
            legend="Damage types"
            entries={options.taxonomy.damageTypes}
            counts={typeCounts}
            selected={settings.damageTypes}
            onToggle={(id, on) => update({ damageTypes: toggle(settings.damageTypes, id, on) })}
          />
        </>
      )}
      <button type="button" class="link-button" onClick={() => update(DEFAULT_SETTINGS)}>
        Reset filters
      </button>
    </div>
  );
}

function CheckboxGroup(props: {
  legend: string;
  /** `depth` indents an entry under its parent (zones; a parent's count includes its children's). */
  entries: { id: string; name: string; depth?: number }[];
  counts: Map<string, number>;
  selected: string[];
  onToggle: (id: string, on: boolean) => void;
}) {
  return (
    <fieldset class="checkbox-group">
      <legend>{props.legend}</legend>
      {props.entries.map((entry) => (
        <label
          key={entry.id}
          class={props.counts.has(entry.id) ? undefined : 'muted'}
          style={entry.depth ? { paddingLeft: `${entry.depth * 1.25}rem` } : undefined}
        >
          <input
            type="checkbox"
            value={entry.id}
            checked={props.selected.includes(entry.id)}
            onChange={(event) => props.onToggle(entry.id, event.currentTarget.checked)}
          />
          <span>{entry.name}</span>
          <span class="count">{props.counts.get(entry.id) ?? 0}</span>
        </label>
      ))}
    </fieldset>
  );
}

function counts(values: ValueCount[] | undefined): Map<string, number> {
  return new Map((values ?? []).map(({ value, count }) => [value, count]));
}

function clampLimit(value: number): number {
  return Number.isFinite(value) ? Math.min(100, Math.max(1, Math.round(value))) : DEFAULT_SETTINGS.limit;
}
