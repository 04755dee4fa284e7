// Uppy Dashboard + tus plugin against forge_suite.files' tus endpoint (session auth + CSRF),
// or, with ?via=s3 on an S3 disk, @uppy/aws-s3 against its presign endpoints: the bytes then
// go from the browser straight to S3 in 5 MiB multipart parts.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("gallery-config").textContent);
  const csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  const { Uppy, Dashboard, Tus, AwsS3 } = globalThis.Uppy;
  const headers = { "X-CSRFToken": decodeURIComponent(csrf) };

  const uppy = new Uppy({
    autoProceed: false,
    restrictions: { maxFileSize: config.maxFileSize, allowedFileTypes: config.allowedTypes },
  })
    .use(Dashboard, { inline: true, target: "#uploader", showProgressDetails: true, height: 420 });
  if (config.direct) {
    uppy.use(AwsS3, {
      endpoint: config.direct,
      headers,
      shouldUseMultipart: true,
      getChunkSize: () => config.chunkSize,
    });
  } else {
    uppy.use(Tus, {
      endpoint: config.endpoint,
      chunkSize: config.chunkSize,
      headers,
      retryDelays: [0, 1000, 3000, 5000],
      removeFingerprintOnSuccess: true,
    });
  }

  // Kept for the browser test and for curious visitors in the console.
  window.galleryEvents = [];
  uppy.on("upload-progress", (file, progress) => {
    window.galleryEvents.push({ type: "progress", sent: progress.bytesUploaded, total: progress.bytesTotal });
  });
  uppy.on("upload-success", (file, response) => {
    window.galleryEvents.push({ type: "success", url: response.uploadURL });
    const item = document.createElement("li");
    item.textContent = file.name + " stored";
    document.getElementById("done").appendChild(item);
  });
  uppy.on("upload-error", (file, error) => {
    window.galleryEvents.push({ type: "error", message: String(error) });
  });
  window.uppy = uppy;
})();
