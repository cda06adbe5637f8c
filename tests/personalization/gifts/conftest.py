import pytest


@pytest.fixture(autouse=True)
def _at_the_hotels_noon(hotel_noon):
    """Every gift test counts its days from UTC's date: at the hotel's noon it is the hotel's date too."""
