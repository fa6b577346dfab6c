import { Option } from 'commander';
import { PHOTO_VIEWS } from '@defect-rag/ingestion';

/** `--photo-view`, for the commands that make photo points. */
export function photoViewOption(): Option {
  return new Option(
    '--photo-view <view>',
    'how photo points see the whole photo: tiles (the mean over model-sized tiles at source resolution) or resized (one view of the whole photo); default tiles',
  ).choices(PHOTO_VIEWS);
}
