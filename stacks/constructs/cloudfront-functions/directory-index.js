// CloudFront Function (cloudfront-js-2.0), viewer request: a path ending in "/"
// asks for that folder's index.html, which is the S3 object CloudFront can fetch
// (the default root object only covers "/" itself).
// biome-ignore lint/correctness/noUnusedVariables: CloudFront calls handler by name.
function handler(event) {
  const request = event.request;
  if (request.uri.endsWith("/")) {
    request.uri += "index.html";
  }
  return request;
}
