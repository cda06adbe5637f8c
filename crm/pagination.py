from rest_framework.pagination import PageNumberPagination

from crm.selectors import staff_of


class Pagination(PageNumberPagination):
    """50 rows a page; ?page_size= up to 200 for managers and admins, up to 50 for front desk, whose job is one
    guest at a time (a larger page only helps copy out the guest list)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    front_desk_max_page_size = 50

    def get_page_size(self, request):
        size = super().get_page_size(request)
        staff = staff_of(getattr(request, "user", None))
        if size is not None and staff is not None and not staff.is_manager:
            return min(size, self.front_desk_max_page_size)
        return size
