# web: the admin dashboard (server-rendered, Bahasa Indonesia first), mounted on the collector app.
# SPDX-License-Identifier: MIT
"""``sync.web.routes.mount(app)`` adds the dashboard under ``/dashboard`` (pages and
static files). Routes only authenticate, check CSRF and the viewer's rusun, call
``sync.service.dashboard`` and render a template; see docs/dashboard.md.
"""
