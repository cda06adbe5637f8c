"""The managers' imports screen: upload (with the columns mapped as it is chosen), the preview, Apply, a progress
bar polled by htmx, and the past imports with Undo."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.imports import columns, parse, selectors
from crm.imports.forms import ImportForm, target_choices
from crm.models import GuestImport, Staff
from crm.permissions import screen_manager
from crm.services import imports as services
from crm.views import screen_button

SAMPLES = 3
LISTED = 30


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    """Managers: upload a guest list (POST: its preview opens), and the past imports."""
    staff = screen_manager(request)
    organization = staff.organization
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, organization=organization)
        if form.is_valid():
            file = form.cleaned_data["file"]
            try:
                upload = services.import_preview(
                    organization=organization,
                    actor=request.user,
                    file=file,
                    filename=file.name or "",
                    size=file.size,
                    mapping=form.mapping(),
                    property=form.cleaned_data["property"] or staff.property,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error("file" if field not in form.fields else field, errors)
            else:
                return redirect("crm:import", pk=upload.pk)
    else:
        form = ImportForm(organization=organization, initial={"property": staff.property})
    context = {"form": form, "imports": selectors.import_list(organization=organization)[:LISTED]}
    return render(request, "crm/imports/list.html", context, status=400 if form.is_bound else 200)


@login_required
@require_POST
def import_columns(request: HttpRequest) -> HttpResponse:
    """The columns of the chosen file, each with what it will be read as and sample values (htmx, as the file is
    chosen): nothing is stored."""
    screen_manager(request)
    file = request.FILES.get("file")
    context: dict = {"choices": target_choices()}
    if file is None:
        return render(request, "crm/imports/list.html#columns", context)
    try:
        table = parse.open_table(file, size=file.size)
        recognized = columns.recognize(table.headers)
        samples: list[list[str]] = [[] for _header in table.headers]
        for _number, cells in table.rows():
            for index, cell in enumerate(cells[: len(table.headers)]):
                if len(samples[index]) < SAMPLES and (text := parse.cell_text(cell)):
                    samples[index].append(text[:40])
            if all(len(values) >= SAMPLES for values in samples):
                break
    except parse.TableError as exc:
        context["problem"] = exc.message
    else:
        context["columns"] = [
            {"header": header, "target": recognized.get(index, ""), "samples": samples[index]}
            for index, header in enumerate(table.headers)
            if header
        ]
        context["has_name"] = bool(columns.NAME_TARGETS.intersection(recognized.values()))
    return render(request, "crm/imports/list.html#columns", context)


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An import: its preview (counts, errors), Apply, its progress, Undo."""
    staff = screen_manager(request)
    upload = selectors.import_get(organization=staff.organization, pk=pk)
    return render(request, "crm/imports/detail.html", {"upload": upload})


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar (htmx polls it while the import applies; it stops polling once done)."""
    staff = screen_manager(request)
    upload = selectors.import_get(organization=staff.organization, pk=pk)
    return render(request, "crm/imports/detail.html#progress", {"upload": upload})


def _to_import(request: HttpRequest, staff: Staff, upload: GuestImport) -> HttpResponse:
    return redirect("crm:import", pk=upload.pk)


@screen_button(selectors.import_get, _to_import, manager=True)
def import_apply(request: HttpRequest, staff: Staff, upload: GuestImport) -> str:
    services.import_apply(upload=upload, actor=request.user)
    return _("The import is being applied.")


@screen_button(selectors.import_get, _to_import, manager=True)
def import_undo(request: HttpRequest, staff: Staff, upload: GuestImport) -> str:
    if services.import_undo(upload=upload, actor=request.user).undo_report:
        return _("The import was undone, except fields edited since (listed below).")
    return _("The import was undone.")
