import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { graphql } from '../api';
import { CropFigure, DefectTable, SourceFigure } from '../components/crop-figure';
import { ErrorBox } from '../components/error-box';
import { damageState } from '../format';
import { LabelTool } from '../components/label-tool';
import { ResultGrid } from '../components/result-grid';
import { CROP, CROP_RAG_CONTEXT, type Crop, type CropData, type CropRagContextData } from '../queries';
import { href } from '../router';
import { useRequest } from '../use-request';

type ContextFormat = 'TEXT' | 'MARKDOWN';

export function CropPage({ id }: { id: string }) {
  const [format, setFormat] = useState<ContextFormat>('TEXT');
  const detail = useRequest<CropData>(id, (signal) => graphql(CROP, { id }, signal));
  const rag = useRequest<CropRagContextData>(JSON.stringify([id, format]), (signal) =>
    graphql(CROP_RAG_CONTEXT, { id, format }, signal),
  );
  const crop = detail.data?.crop;

  return (
    <article class="crop-page" aria-busy={detail.loading}>
      <p>
        <a href={href({ page: 'search', similarTo: null })}>← Back to search</a>
      </p>
      <h1>
        Crop <code class="crop-id">{id}</code>
      </h1>
      {detail.loading && !crop && (
        <p class="loading" role="status">
          Loading…
        </p>
      )}
      {detail.error && <ErrorBox error={detail.error} context="The crop could not be loaded" />}
      {crop && (
        <>
          <div class="crop-columns">
            <div class="figures">
              <SourceFigure key={crop.id} crop={crop} />
              <CropFigure crop={crop} />
            </div>
            <div>
              <CropMetadata crop={crop} />
              <p>
                <a class="button" href={href({ page: 'search', similarTo: crop.id })}>
                  Find similar crops
                </a>
              </p>
            </div>
          </div>
          <DefectTable crop={crop} />
          <LabelTool key={crop.id} crop={crop} />
          <RagContextBlock
            context={rag.data?.ragContext.context ?? null}
            loading={rag.loading}
            format={format}
            onFormat={setFormat}
          />
          {rag.error && <ErrorBox error={rag.error} context="The RAG context could not be loaded" />}
          {rag.data && rag.data.ragContext.items.length > 0 && (
            <section aria-labelledby="cited-heading">
              <h2 id="cited-heading">The crops it cites</h2>
              <ResultGrid results={rag.data.ragContext.items} label="Crops cited by the context" />
            </section>
          )}
        </>
      )}
    </article>
  );
}

function CropMetadata({ crop }: { crop: Crop }) {
  const rows: [string, ComponentChildren][] = [
    ['State', damageState(crop)],
    ['Description', crop.textDescription],
    ['Zone', crop.vehicleZone],
    ['Area', crop.area],
    ['Damage types', crop.damageTypes.length > 0 ? crop.damageTypes.join(', ') : '—'],
    ['Source image', <code>{crop.sourceImage}</code>],
    ['Crop box', `${crop.box.width}×${crop.box.height} at (${crop.box.x}, ${crop.box.y})`],
    ['Strategy', crop.strategy],
    ['Grid cell', crop.gridPosition ? `row ${crop.gridPosition.row}, column ${crop.gridPosition.column}` : '—'],
    ['Split', crop.split ?? '—'],
    ['Dataset', <code>{crop.datasetId}</code>],
    ['Image id', <code>{crop.imageId}</code>],
    ['Model', <code>{crop.modelId}</code>],
  ];
  return (
    <dl class="metadata" data-testid="metadata">
      {rows.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The prompt-ready block an agent gets for this crop (ragContext with the crop as query), with a copy button. */
function RagContextBlock(props: {
  context: string | null;
  loading: boolean;
  format: ContextFormat;
  onFormat: (format: ContextFormat) => void;
}) {
  const { context, format, onFormat } = props;
  const [copyStatus, setCopyStatus] = useState('');
  const block = useRef<HTMLPreElement>(null);
  const copy = async () => {
    if (context === null) return;
    try {
      await navigator.clipboard.writeText(context);
      setCopyStatus('Copied to the clipboard.');
    } catch {
      // No clipboard access (a page served over plain HTTP from another host): select it for Ctrl+C.
      const selection = getSelection();
      if (block.current && selection) {
        selection.selectAllChildren(block.current);
        setCopyStatus('Selected: press Ctrl+C (⌘C) to copy.');
      }
    }
  };
  return (
    <section class="rag-context" aria-labelledby="rag-heading">
      <div class="section-header">
        <h2 id="rag-heading">RAG context for an agent</h2>
        <fieldset class="segmented compact">
          <legend class="visually-hidden">Format</legend>
          {(['TEXT', 'MARKDOWN'] as const).map((value) => (
            <label key={value}>
              <input type="radio" name="context-format" checked={format === value} onChange={() => onFormat(value)} />
              <span>{value === 'TEXT' ? 'Text' : 'Markdown'}</span>
            </label>
          ))}
        </fieldset>
        <button type="button" onClick={copy} disabled={context === null} data-testid="copy-context">
          Copy
        </button>
        <span class="muted small" role="status">
          {copyStatus}
        </span>
      </div>
      <pre ref={block} tabIndex={0} aria-busy={props.loading} data-testid="rag-context">
        {context ?? (props.loading ? 'Loading…' : '')}
      </pre>
    </section>
  );
}
