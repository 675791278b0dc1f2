// Package static embeds the stylesheets, brand marks and small scripts served under /static/.
package static

import "embed"

// Files are the static assets, by path below this directory (css/honnin.css, img/..., js/...).
//
//go:embed css img js
var Files embed.FS
