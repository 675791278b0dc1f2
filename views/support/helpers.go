// Package support holds the support console's pages.
package support

import "honnin/app/i18n"

// ariaInvalid marks a field with a problem.
func ariaInvalid(p i18n.Problems, field string) string {
	if _, bad := p[field]; bad {
		return "true"
	}
	return "false"
}

// invalidIf marks a field invalid when it has a problem.
func invalidIf(problem string) string {
	if problem != "" {
		return "true"
	}
	return "false"
}
