import { render } from 'preact';
import { App } from './app';
// In cascade order: later files override earlier ones (the narrow-window rules come after the pages').
import './styles/frame.css';
import './styles/search.css';
import './styles/detail-and-runs.css';
import './styles/narrow-and-overlays.css';

render(<App />, document.getElementById('app')!);
