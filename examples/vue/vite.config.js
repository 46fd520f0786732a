import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// Nothing for resilient-websocket: its default entry has the wasm inlined.
export default defineConfig({ plugins: [vue()] });
