// Starts Swagger UI on the gateway's OpenAPI document (a file, not an inline script, so the
// page's Content-Security-Policy can forbid inline scripts).
window.ui = SwaggerUIBundle({
  url: "/schema/openapi.json",
  dom_id: "#swagger-container",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis],
});
