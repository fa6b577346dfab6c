import { useRef, useState } from 'preact/hooks';
import type { ImageSource } from '../search-query';
import { RegionPicker } from './region-picker';

const ACCEPTED_IMAGES = 'image/jpeg,image/png,image/webp';

/**
 * The uploaded photo, to draw a region on, and a description that makes the query hybrid, with
 * the image's weight once both are given (a model without a text tower fuses the image with the
 * description's label prototype).
 */
export function UploadedImage({
  source,
  onChange,
}: {
  source: ImageSource;
  onChange: (changes: Partial<ImageSource>) => void;
}) {
  const [draft, setDraft] = useState(source.text);
  const alpha = source.alpha ?? 0.5;
  return (
    <div class="uploaded-image">
      <RegionPicker
        preview={source.preview}
        name={source.file.name}
        region={source.region}
        onRegion={(region) => onChange({ region })}
      />
      <form
        class="hybrid-text"
        onSubmit={(event) => {
          event.preventDefault();
          onChange({ text: draft.trim() });
        }}
      >
        <label for="hybrid-text">And a description (optional, a hybrid query)</label>
        <div class="input-row">
          <input
            id="hybrid-text"
            type="text"
            value={draft}
            maxLength={1000}
            placeholder="dent near the handle"
            onInput={(event) => setDraft(event.currentTarget.value)}
          />
          <button type="submit">Apply</button>
        </div>
      </form>
      {source.text && (
        <label class="alpha">
          <span>Image weight α: {source.alpha === null ? "the index's fusion" : alpha.toFixed(2)}</span>
          <input
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={alpha}
            onChange={(event) => onChange({ alpha: event.currentTarget.valueAsNumber })}
            data-testid="alpha"
          />
        </label>
      )}
    </div>
  );
}

/** A file picker that also takes a dropped image; the picker is a real (visually hidden) input, so keyboards reach it. */
export function ImageDrop({
  onImage,
  current,
}: {
  onImage: (file: File) => void;
  current: { file: File; preview: string } | null;
}) {
  const [dragging, setDragging] = useState(false);
  const [refused, setRefused] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const take = (file: File | undefined) => {
    if (!file) return;
    if (!ACCEPTED_IMAGES.split(',').includes(file.type)) {
      setRefused(`${file.name} is not a JPEG, PNG or WebP image`);
      return;
    }
    setRefused(null);
    onImage(file);
  };
  return (
    <div
      class={dragging ? 'image-drop dragging' : 'image-drop'}
      onDragOver={(event) => (event.preventDefault(), setDragging(true))}
      onDragLeave={() => setDragging(false)}
      onDrop={(event) => {
        event.preventDefault();
        setDragging(false);
        take(event.dataTransfer?.files[0]);
      }}
    >
      <label for="query-image">
        <input
          id="query-image"
          ref={input}
          class="visually-hidden"
          type="file"
          accept={ACCEPTED_IMAGES}
          onChange={(event) => {
            take(event.currentTarget.files?.[0]);
            // The same file picked again is a new query too.
            event.currentTarget.value = '';
          }}
        />
        {current ? (
          <img class="drop-preview" src={current.preview} alt="" />
        ) : (
          <span class="drop-icon" aria-hidden="true">
            ⤓
          </span>
        )}
        <span>
          <strong>Drop an image</strong> or <span class="like-link">choose a file</span>
          <span class="muted small"> JPEG, PNG or WebP</span>
        </span>
      </label>
      {refused && (
        <p class="field-error" role="alert">
          {refused}
        </p>
      )}
    </div>
  );
}
