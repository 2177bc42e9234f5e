// ReDoc over the hub's OpenAPI schema (/redoc). The styles it adds carry this page's nonce,
// which the Content-Security-Policy allows: nothing else inline is.
const script = document.currentScript;
document.body.style.margin = "0";
Redoc.init(script.dataset.spec, { nonce: script.nonce }, document.getElementById("redoc"));
