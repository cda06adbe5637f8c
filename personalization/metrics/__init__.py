"""The managers' figures: counters kept per day as events happen (services, receivers), read into periods
(selectors), defined once each (figures), served by the API and the dashboard."""
