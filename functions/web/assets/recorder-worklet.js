// AudioWorklet processor of the page's recorder: mixes the microphone's channels to mono and
// posts blocks of 2,048 samples (at the AudioContext's rate) to the page. A `flush` message
// posts what is left and answers `{flushed: true}`, so stopping loses no sample.
class SawtRecorder extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(2048);
    this.filled = 0;
    this.port.onmessage = (e) => {
      if (e.data === 'flush') {
        if (this.filled) this.port.postMessage(this.block.slice(0, this.filled));
        this.filled = 0;
        this.port.postMessage({ flushed: true });
      }
    };
  }

  process(inputs) {
    const channels = inputs[0];
    if (channels && channels.length) {
      const count = channels.length;
      const frames = channels[0].length;
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        for (let c = 0; c < count; c++) sum += channels[c][i];
        this.block[this.filled++] = sum / count;
        if (this.filled === this.block.length) {
          this.port.postMessage(this.block, [this.block.buffer]);
          this.block = new Float32Array(2048);
          this.filled = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor('sawt-recorder', SawtRecorder);
