// A small ZIP writer, for uploading a folder chosen in the browser as one archive.
//
// Why our own instead of a library (JSZip, fflate...): the console runs under a CSP that allows
// only its own nonce'd inline code, so a CDN is out, and the service has no JavaScript build step
// to vendor and bundle one. The browser already has DEFLATE (CompressionStream 'deflate-raw'), so
// what is left is CRC-32 and the ZIP records (APPNOTE 6.3: local headers, central directory, end
// record), about a hundred lines. No ZIP64: a plugin folder is far below 4 GiB and 65,535 files.
"use strict";
IGNY8.zip = (function () {
  const CRC_TABLE = (() => {
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    return table;
  })();

  function crc32(bytes) {
    let crc = 0xffffffff;
    for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  }

  async function deflate(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate-raw"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  // DOS date and time of ``when`` (local fields, as ZIP tools read them), 2-second precision.
  function dosTime(when) {
    const year = Math.max(1980, when.getFullYear());
    return {
      time: (when.getHours() << 11) | (when.getMinutes() << 5) | (when.getSeconds() >> 1),
      date: ((year - 1980) << 9) | ((when.getMonth() + 1) << 5) | when.getDate(),
    };
  }

  function record(size, fill) {
    const bytes = new Uint8Array(size);
    fill(new DataView(bytes.buffer), bytes);
    return bytes;
  }

  // files: [{ name: "folder/file.php", data: Uint8Array, modified: Date }] -> a Blob (application/zip).
  async function build(files) {
    if (files.length > 0xffff) throw new Error("too many files for a ZIP without ZIP64: " + files.length);
    const encoder = new TextEncoder();
    const parts = [], central = [];
    let offset = 0;
    for (const file of files) {
      const name = encoder.encode(file.name);
      const crc = crc32(file.data);
      const packed = await deflate(file.data);
      const stored = packed.length >= file.data.length;
      const body = stored ? file.data : packed;
      if (offset + body.length > 0xfffffffe || file.data.length > 0xfffffffe) throw new Error("the folder is too large for a ZIP without ZIP64");
      const { time, date } = dosTime(file.modified || new Date());
      const method = stored ? 0 : 8;
      // Bit 11: the name is UTF-8.
      const local = record(30 + name.length, (v, b) => {
        v.setUint32(0, 0x04034b50, true); v.setUint16(4, 20, true); v.setUint16(6, 0x0800, true);
        v.setUint16(8, method, true); v.setUint16(10, time, true); v.setUint16(12, date, true);
        v.setUint32(14, crc, true); v.setUint32(18, body.length, true); v.setUint32(22, file.data.length, true);
        v.setUint16(26, name.length, true); v.setUint16(28, 0, true); b.set(name, 30);
      });
      central.push(record(46 + name.length, (v, b) => {
        v.setUint32(0, 0x02014b50, true); v.setUint16(4, 20, true); v.setUint16(6, 20, true);
        v.setUint16(8, 0x0800, true); v.setUint16(10, method, true); v.setUint16(12, time, true);
        v.setUint16(14, date, true); v.setUint32(16, crc, true); v.setUint32(20, body.length, true);
        v.setUint32(24, file.data.length, true); v.setUint16(28, name.length, true);
        // extra, comment, disk, internal attributes, external attributes: 0; then the local offset.
        v.setUint32(42, offset, true); b.set(name, 46);
      }));
      parts.push(local, body);
      offset += local.length + body.length;
    }
    const size = central.reduce((sum, c) => sum + c.length, 0);
    const end = record(22, (v) => {
      v.setUint32(0, 0x06054b50, true); v.setUint16(8, files.length, true); v.setUint16(10, files.length, true);
      v.setUint32(12, size, true); v.setUint32(16, offset, true);
    });
    return new Blob([...parts, ...central, end], { type: "application/zip" });
  }

  return { build: build, crc32: crc32 };
})();
